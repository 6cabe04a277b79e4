package dev.lowrank.format.onnx.internal;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.AttributeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.GraphProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.ModelProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.NodeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.SparseTensorProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.StringStringEntryProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TrainingInfoProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.ValueInfoProto;
import dev.lowrank.io.InputFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The checked structure of a model's main graph: every value a node reads is defined exactly once
 * (by a node, a graph input or an initializer, or an enclosing graph for subgraphs), the graph has
 * no cycle, and its outputs are computed; with the producers and readers of each value and a
 * topological order of the nodes. Subgraphs of control-flow nodes are checked the same way, and the
 * outer values they read count as reads by the node that holds them.
 */
final class OnnxGraph {

  /**
   * One read of a value.
   *
   * @param node the main-graph node that reads it, or -1 for a graph output or the training
   *     information
   * @param input the input position at that node, or -1 when a subgraph of the node reads it
   * @param description who reads it, for reports ("MatMul node '/fc/MatMul'")
   */
  record Use(int node, int input, String description) {}

  private final Path file;
  private final GraphProto graph;
  private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
  private final Set<String> inputs = new LinkedHashSet<>();
  private final Set<String> outputs = new LinkedHashSet<>();
  private final Map<String, Integer> producers = new HashMap<>();
  private final Map<String, List<Use>> uses = new HashMap<>();
  private final Set<String> names = new HashSet<>();
  private final List<Integer> order;

  private OnnxGraph(Path file, ModelProto model) throws ModelFileException {
    this.file = file;
    this.graph = model.getGraph();
    for (TensorProto t : graph.getInitializerList()) {
      initializers.put(t.getName(), t);
    }
    for (ValueInfoProto v : graph.getInputList()) {
      inputs.add(v.getName());
    }
    for (ValueInfoProto v : graph.getOutputList()) {
      outputs.add(v.getName());
    }
    Scope top = new Scope(graph, Set.of(), "", true);
    this.order = top.order;
    for (String o : outputs) {
      use(o, new Use(-1, -1, "a graph output"));
    }
    Set<String> visible = new HashSet<>(top.defined);
    visible.addAll(producers.keySet());
    for (TrainingInfoProto t : model.getTrainingInfoList()) {
      for (GraphProto g : List.of(t.getInitialization(), t.getAlgorithm())) {
        for (String ref : new Scope(g, visible, " in the training information", false).outer) {
          use(ref, new Use(-1, -1, "the model's training information"));
        }
      }
      for (List<StringStringEntryProto> binding :
          List.of(t.getInitializationBindingList(), t.getUpdateBindingList())) {
        for (StringStringEntryProto e : binding) {
          use(e.getKey(), new Use(-1, -1, "the model's training information"));
          use(e.getValue(), new Use(-1, -1, "the model's training information"));
        }
      }
    }
  }

  /**
   * Checks the graph of a parsed model.
   *
   * @param file the model file (named in errors)
   * @param model the model
   * @return the checked graph
   * @throws ModelFileException if a value is read but never defined, defined twice, the graph has a
   *     cycle, or an output is not computed
   */
  static OnnxGraph check(Path file, ModelProto model) throws ModelFileException {
    return new OnnxGraph(file, model);
  }

  private void use(String name, Use use) {
    uses.computeIfAbsent(name, k -> new ArrayList<>()).add(use);
  }

  /** Describes a node for messages: its op and its name (or its position when unnamed). */
  static String describe(NodeProto node, int index) {
    return node.getOpType().isEmpty()
        ? "node #" + index
        : node.getOpType()
            + " node "
            + (node.getName().isEmpty() ? "#" + index : InputFileException.quote(node.getName()));
  }

  /** One graph's names, checked; the main graph also fills the producer and reader maps. */
  private final class Scope {
    final Set<String> defined = new HashSet<>();
    final Set<String> outer = new LinkedHashSet<>();
    final List<Integer> order;

    Scope(GraphProto g, Set<String> enclosing, String context, boolean top)
        throws ModelFileException {
      for (TensorProto t : g.getInitializerList()) {
        if (!defined.add(t.getName())) {
          throw fail("initializer " + q(t.getName()) + context + " is defined twice");
        }
      }
      for (SparseTensorProto s : g.getSparseInitializerList()) {
        String n = s.getValues().getName();
        if (!defined.add(n)) {
          throw fail("sparse initializer " + q(n) + context + " is defined twice");
        }
      }
      Set<String> declaredInputs = new HashSet<>();
      for (ValueInfoProto v : g.getInputList()) {
        if (!declaredInputs.add(v.getName())) {
          throw fail("graph input " + q(v.getName()) + context + " is declared twice");
        }
        defined.add(v.getName());
      }
      List<NodeProto> nodes = g.getNodeList();
      Map<String, Integer> made = new HashMap<>();
      for (int i = 0; i < nodes.size(); i++) {
        for (String o : nodes.get(i).getOutputList()) {
          if (o.isEmpty()) {
            continue;
          }
          Integer other = made.putIfAbsent(o, i);
          if (other != null || defined.contains(o)) {
            throw fail(
                "value "
                    + q(o)
                    + context
                    + " is defined twice ("
                    + (other != null
                        ? "by " + describe(nodes.get(other), other) + " and "
                        : "as an input or initializer and by ")
                    + describe(nodes.get(i), i)
                    + ")");
          }
        }
      }
      Set<String> visible = new HashSet<>(enclosing);
      visible.addAll(defined);
      visible.addAll(made.keySet());
      List<Set<Integer>> deps = new ArrayList<>();
      for (int i = 0; i < nodes.size(); i++) {
        NodeProto node = nodes.get(i);
        Set<Integer> d = new HashSet<>();
        List<String> in = node.getInputList();
        for (int k = 0; k < in.size(); k++) {
          String x = in.get(k);
          if (x.isEmpty()) {
            continue;
          }
          read(x, i, node, made, enclosing, d, context);
          if (top) {
            use(x, new Use(i, k, describe(node, i)));
          }
        }
        for (AttributeProto a : node.getAttributeList()) {
          List<GraphProto> subs = new ArrayList<>(a.getGraphsList());
          if (a.hasG()) {
            subs.add(a.getG());
          }
          for (GraphProto sub : subs) {
            String where = " in a subgraph of " + describe(node, i) + context;
            for (String x : new Scope(sub, visible, where, false).outer) {
              read(x, i, node, made, enclosing, d, context);
              if (top) {
                use(x, new Use(i, -1, "a subgraph of " + describe(node, i)));
              }
            }
          }
        }
        deps.add(d);
      }
      this.order = sort(nodes, deps, context);
      for (ValueInfoProto v : g.getOutputList()) {
        String o = v.getName();
        if (!defined.contains(o) && !made.containsKey(o)) {
          if (enclosing.contains(o)) {
            outer.add(o);
          } else {
            throw fail("graph output " + q(o) + context + " is not computed by any node");
          }
        }
      }
      names.addAll(defined);
      names.addAll(made.keySet());
      if (top) {
        producers.putAll(made);
      }
    }

    private void read(
        String x,
        int i,
        NodeProto node,
        Map<String, Integer> made,
        Set<String> enclosing,
        Set<Integer> d,
        String context)
        throws ModelFileException {
      Integer p = made.get(x);
      if (p != null) {
        d.add(p);
      } else if (!defined.contains(x)) {
        if (enclosing.contains(x)) {
          outer.add(x);
        } else {
          throw fail(
              describe(node, i)
                  + context
                  + " reads "
                  + q(x)
                  + ", which no node, graph input or initializer provides");
        }
      }
    }

    /** Kahn's algorithm, taking nodes in file order whenever several are ready. */
    private List<Integer> sort(List<NodeProto> nodes, List<Set<Integer>> deps, String context)
        throws ModelFileException {
      int n = nodes.size();
      int[] pending = new int[n];
      List<List<Integer>> next = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        next.add(new ArrayList<>());
      }
      for (int i = 0; i < n; i++) {
        for (int p : deps.get(i)) {
          if (p == i) {
            throw fail(describe(nodes.get(i), i) + context + " reads its own output (a cycle)");
          }
          pending[i]++;
          next.get(p).add(i);
        }
      }
      PriorityQueue<Integer> ready = new PriorityQueue<>();
      for (int i = 0; i < n; i++) {
        if (pending[i] == 0) {
          ready.add(i);
        }
      }
      List<Integer> out = new ArrayList<>(n);
      while (!ready.isEmpty()) {
        int i = ready.poll();
        out.add(i);
        for (int j : next.get(i)) {
          if (--pending[j] == 0) {
            ready.add(j);
          }
        }
      }
      if (out.size() < n) {
        for (int i = 0; i < n; i++) {
          if (pending[i] > 0) {
            throw fail("the graph" + context + " has a cycle through " + describe(nodes.get(i), i));
          }
        }
      }
      return Collections.unmodifiableList(out);
    }
  }

  private ModelFileException fail(String problem) {
    return new ModelFileException(file, problem);
  }

  private static String q(String s) {
    return InputFileException.quote(s);
  }

  /**
   * Returns the main graph.
   *
   * @return the graph message
   */
  GraphProto graph() {
    return graph;
  }

  /**
   * Returns the main graph's initializers by name.
   *
   * @return the initializers
   */
  Map<String, TensorProto> initializers() {
    return initializers;
  }

  /**
   * Returns the names of the main graph's inputs (including initializers listed as inputs).
   *
   * @return the input names, in order
   */
  Set<String> inputs() {
    return inputs;
  }

  /**
   * Returns the names of the main graph's outputs.
   *
   * @return the output names, in order
   */
  Set<String> outputs() {
    return outputs;
  }

  /**
   * Returns the node that computes a value.
   *
   * @param value a value name
   * @return the node's index, or -1 for inputs, initializers and unknown names
   */
  int producer(String value) {
    return producers.getOrDefault(value, -1);
  }

  /**
   * Returns every read of a value: node inputs, reads from subgraphs, graph outputs and the
   * training information.
   *
   * @param value a value name
   * @return the reads, empty if none
   */
  List<Use> uses(String value) {
    return uses.getOrDefault(value, List.of());
  }

  /**
   * Returns whether a name is taken by any value of the model's graphs (the main graph and its
   * subgraphs).
   *
   * @param name a value name
   * @return {@code true} if it is an input, initializer or node output
   */
  boolean isTaken(String name) {
    return names.contains(name);
  }

  /**
   * Returns the main graph's nodes in topological order (file order where it is one already).
   *
   * @return node indices
   */
  List<Integer> order() {
    return order;
  }
}
