package dev.lowrank.format.onnx.internal;

import dev.lowrank.format.Layer;
import dev.lowrank.format.onnx.internal.OnnxGraph.Use;
import dev.lowrank.format.onnx.internal.OnnxLayer.InputLayout;
import dev.lowrank.format.onnx.internal.OnnxLayer.Op;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.AttributeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.ModelProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.NodeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.OperatorSetIdProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto;
import dev.lowrank.io.InputFileException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the linear layers of a checked graph: {@code MatMul} and {@code Gemm} nodes of the standard
 * domain whose weight operand is a 2-D initializer of the main graph, pairs of products lowrank
 * wrote ({@code <layer>.lowrank_a}, {@code <layer>.lowrank_b}), and quantized matrix products
 * (listed, never rewritten). Each gets a name and, where it must stay dense, the reason.
 *
 * <p>Names come from the node names: PyTorch's exporter names a node {@code
 * /encoder/layer.0/attention/self/query/MatMul} after the module that ran it, and lowrank lists
 * that layer as {@code encoder.layer.0.attention.self.query} (the module path of {@code
 * named_modules()}); other node names are used as they are, and an unnamed node is named after its
 * weight ({@code fc1.weight} gives {@code fc1}). When two layers would get the same name, they are
 * listed under their node names.
 */
final class LayerScan {

  /** The suffix of the first factor's initializer. */
  static final String FACTOR_A = ".lowrank_a";

  /** The suffix of the second factor's initializer. */
  static final String FACTOR_B = ".lowrank_b";

  /** Quantized matrix products: domain/op to the input position of their weight. */
  private static final Map<String, Integer> QUANTIZED =
      Map.of(
          "/MatMulInteger", 1,
          "/QLinearMatMul", 3,
          "com.microsoft/QGemm", 3,
          "com.microsoft/DynamicQuantizeMatMul", 1,
          "com.microsoft/MatMulIntegerToFloat", 1);

  private final OnnxGraph graph;
  private final List<NodeProto> nodes;
  private final long opset;
  private final Set<Integer> consumed = new HashSet<>();

  private LayerScan(ModelProto model, OnnxGraph graph) {
    this.graph = graph;
    this.nodes = graph.graph().getNodeList();
    this.opset = opset(model);
  }

  /**
   * Lists a model's linear layers in topological order.
   *
   * @param model the model
   * @param graph its checked main graph
   * @return the layers, each with a unique name
   */
  static List<OnnxLayer> scan(ModelProto model, OnnxGraph graph) {
    return new LayerScan(model, graph).scan();
  }

  /**
   * Returns the default-domain operator set version of a model.
   *
   * @param model the model
   * @return the version, 0 if the model imports none
   */
  static long opset(ModelProto model) {
    long v = 0;
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        v = o.getVersion();
      }
    }
    return v;
  }

  /** A layer before naming. */
  private record Found(OnnxLayer layer, String fixedName, String derived, String nodeName) {}

  private List<OnnxLayer> scan() {
    Map<Integer, Found> factorized = new HashMap<>();
    for (int i : graph.order()) {
      factorizedPair(i).ifPresent(f -> factorized.put(i, f));
    }
    List<Found> found = new ArrayList<>();
    for (int i : graph.order()) {
      Found f = factorized.get(i);
      if (f == null && !consumed.contains(i)) {
        f = dense(i).orElse(null);
      }
      if (f != null) {
        found.add(f);
      }
    }
    return name(found);
  }

  private static boolean standard(NodeProto n, String op) {
    return n.getOpType().equals(op) && (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx"));
  }

  private Optional<TensorProto> initializer(String name) {
    return Optional.ofNullable(graph.initializers().get(name));
  }

  private Optional<Found> factorizedPair(int i) {
    NodeProto second = nodes.get(i);
    if (!(standard(second, "MatMul") || standard(second, "Gemm")) || second.getInputCount() < 2) {
      return Optional.empty();
    }
    String bName = second.getInput(1);
    if (!bName.endsWith(FACTOR_B) || bName.length() == FACTOR_B.length()) {
      return Optional.empty();
    }
    String layer = bName.substring(0, bName.length() - FACTOR_B.length());
    String t = second.getInput(0);
    int p = graph.producer(t);
    if (p < 0 || graph.uses(t).size() != 1) {
      return Optional.empty();
    }
    NodeProto first = nodes.get(p);
    if (!(standard(first, "MatMul") || standard(first, "Gemm"))
        || first.getInputCount() < 2
        || !first.getInput(1).equals(layer + FACTOR_A)) {
      return Optional.empty();
    }
    Optional<TensorProto> a = initializer(layer + FACTOR_A);
    Optional<TensorProto> b = initializer(bName);
    if (a.isEmpty() || b.isEmpty() || a.get().getDimsCount() != 2 || b.get().getDimsCount() != 2) {
      return Optional.empty();
    }
    if (attribute(first, "transB").map(AttributeProto::getI).orElse(0L) != 0
        || attribute(second, "transB").map(AttributeProto::getI).orElse(0L) != 0
        || attribute(second, "transA").map(AttributeProto::getI).orElse(0L) != 0) {
      return Optional.empty();
    }
    long m = a.get().getDims(0);
    long r = a.get().getDims(1);
    long n = b.get().getDims(1);
    if (b.get().getDims(0) != r || r < 1 || n > Integer.MAX_VALUE || m > Integer.MAX_VALUE) {
      return Optional.empty();
    }
    boolean transA = attribute(first, "transA").map(AttributeProto::getI).orElse(0L) != 0;
    consumed.add(p);
    consumed.add(i);
    Layer l = Layer.linear(layer, (int) n, (int) m, hasBias(second, (int) n)).withLowRank((int) r);
    OnnxLayer ol =
        new OnnxLayer(
            l,
            standard(second, "Gemm") ? Op.GEMM : Op.MATMUL,
            i,
            OptionalInt.of(p),
            "",
            true,
            first.getInput(0),
            transA ? InputLayout.FIRST_OF_TWO : InputLayout.LAST_AXIS);
    return Optional.of(new Found(ol, layer, derive(second, layer), second.getName()));
  }

  private Optional<Found> dense(int i) {
    NodeProto node = nodes.get(i);
    boolean matmul = standard(node, "MatMul");
    boolean gemm = standard(node, "Gemm");
    Integer quantized = QUANTIZED.get(node.getDomain() + "/" + node.getOpType());
    if (!matmul && !gemm && quantized == null) {
      return Optional.empty();
    }
    if (quantized != null) {
      if (node.getInputCount() <= quantized) {
        return Optional.empty();
      }
      String w = node.getInput(quantized);
      boolean transB =
          node.getOpType().equals("QGemm")
              && attribute(node, "transB").map(AttributeProto::getI).orElse(0L) != 0;
      return initializer(w)
          .filter(t -> t.getDimsCount() == 2)
          .map(
              t ->
                  found(
                      i,
                      node,
                      Op.OTHER,
                      t,
                      !transB,
                      node.getInput(0),
                      InputLayout.LAST_AXIS,
                      Optional.of(
                          "quantized op "
                              + node.getOpType()
                              + " ("
                              + ElementTypes.name(t.getDataType())
                              + " weights); lowrank factorizes float32 MatMul and Gemm")));
    }
    if (node.getInputCount() < 2) {
      return Optional.empty();
    }
    String x = node.getInput(0);
    String w = node.getInput(1);
    boolean transA = gemm && attribute(node, "transA").map(AttributeProto::getI).orElse(0L) != 0;
    boolean transB = gemm && attribute(node, "transB").map(AttributeProto::getI).orElse(0L) != 0;
    Optional<TensorProto> weight = initializer(w);
    if (weight.isEmpty()) {
      Optional<TensorProto> left = matmul ? initializer(x) : Optional.empty();
      if (left.isPresent() && left.get().getDimsCount() == 2) {
        return Optional.of(
            found(
                i,
                node,
                Op.OTHER,
                left.get(),
                false,
                w,
                InputLayout.SECOND_TO_LAST,
                Optional.of(
                    "its weight is the left operand of MatMul (W @ x); lowrank factorizes x @ W")));
      }
      return dequantized(w)
          .map(
              t ->
                  found(
                      i,
                      node,
                      Op.OTHER,
                      t,
                      !transB,
                      x,
                      transA ? InputLayout.FIRST_OF_TWO : InputLayout.LAST_AXIS,
                      Optional.of(
                          "its weight is dequantized from "
                              + ElementTypes.name(t.getDataType())
                              + " (a quantized model); lowrank factorizes float32 weights")));
    }
    TensorProto t = weight.get();
    if (t.getDimsCount() != 2) {
      return Optional.empty();
    }
    Optional<String> reason = ineligible(i, node, t, gemm, transA);
    return Optional.of(
        found(
            i,
            node,
            gemm ? Op.GEMM : Op.MATMUL,
            t,
            !transB,
            x,
            transA ? InputLayout.FIRST_OF_TWO : InputLayout.LAST_AXIS,
            reason));
  }

  private Optional<String> ineligible(
      int i, NodeProto node, TensorProto t, boolean gemm, boolean transA) {
    String w = q(t.getName());
    if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
      return Optional.of(
          "its weight "
              + w
              + " is "
              + ElementTypes.name(t.getDataType())
              + "; lowrank factorizes float32 weights");
    }
    if (graph.inputs().contains(t.getName())) {
      return Optional.of(
          "its weight " + w + " is also a graph input, so a caller may feed another value");
    }
    List<Use> uses = graph.uses(t.getName());
    if (uses.size() > 1) {
      List<String> others = new ArrayList<>();
      for (Use u : uses) {
        if (u.node() != i || u.input() != 1) {
          others.add(u.description());
        }
      }
      if (others.stream().distinct().count() == 1 && uses.stream().allMatch(u -> u.node() >= 0)) {
        return Optional.of("its weight " + w + " is also read by " + others.get(0));
      }
      return Optional.of(
          "its weight "
              + w
              + " is shared: "
              + uses.size()
              + " reads ("
              + String.join(", ", others.stream().distinct().limit(3).toList())
              + (others.stream().distinct().count() > 3 ? ", ..." : "")
              + ")");
    }
    if (gemm && opset < 11) {
      boolean alphaOne = attribute(node, "alpha").map(AttributeProto::getF).orElse(1f) == 1f;
      if (transA || !alphaOne) {
        return Optional.of(
            "Gemm with transA or alpha before opset 11, where a Gemm for the first factor would"
                + " need a C input");
      }
    }
    return Optional.empty();
  }

  /** The initializer a DequantizeLinear node turns into {@code value}, if any. */
  private Optional<TensorProto> dequantized(String value) {
    int p = graph.producer(value);
    if (p < 0) {
      return Optional.empty();
    }
    NodeProto d = nodes.get(p);
    if (!d.getOpType().equals("DequantizeLinear") || d.getInputCount() < 1) {
      return Optional.empty();
    }
    return initializer(d.getInput(0)).filter(t -> t.getDimsCount() == 2);
  }

  private Found found(
      int i,
      NodeProto node,
      Op op,
      TensorProto weight,
      boolean transposed,
      String input,
      InputLayout layout,
      Optional<String> reason) {
    long d0 = weight.getDims(0);
    long d1 = weight.getDims(1);
    long n = transposed ? d1 : d0;
    long m = transposed ? d0 : d1;
    int ni = (int) Math.min(n, Integer.MAX_VALUE);
    int mi = (int) Math.min(m, Integer.MAX_VALUE);
    boolean bias = op != Op.OTHER && hasBias(node, ni);
    Layer l = Layer.linear("?", ni, mi, bias);
    if (reason.isPresent()) {
      l = l.withIneligible(reason.get());
    } else if (n > Integer.MAX_VALUE || m > Integer.MAX_VALUE) {
      l = l.withIneligible("its weight is " + d0 + " x " + d1 + ", too large");
    }
    OnnxLayer ol =
        new OnnxLayer(l, op, i, OptionalInt.empty(), weight.getName(), transposed, input, layout);
    return new Found(ol, null, derive(node, weight.getName()), node.getName());
  }

  /** The bias of a layer: Gemm's C, or the Add that alone reads a MatMul's output. */
  private boolean hasBias(NodeProto node, int n) {
    if (standard(node, "Gemm")) {
      return node.getInputCount() > 2
          && !node.getInput(2).isEmpty()
          && initializer(node.getInput(2)).map(c -> elements(c) == n).orElse(false);
    }
    if (node.getOutputCount() < 1) {
      return false;
    }
    List<Use> uses = graph.uses(node.getOutput(0));
    if (uses.size() != 1 || uses.get(0).node() < 0 || uses.get(0).input() < 0) {
      return false;
    }
    NodeProto add = nodes.get(uses.get(0).node());
    if (!standard(add, "Add") || add.getInputCount() != 2) {
      return false;
    }
    String other = add.getInput(1 - uses.get(0).input());
    return initializer(other)
        .map(c -> elements(c) == n && c.getDimsCount() >= 1 && c.getDims(c.getDimsCount() - 1) == n)
        .orElse(false);
  }

  private static long elements(TensorProto t) {
    long c = 1;
    for (long d : t.getDimsList()) {
      if (d < 0) {
        return -1;
      }
      c = d == 0 ? 0 : (c > Long.MAX_VALUE / d ? -1 : c * d);
      if (c < 0) {
        return -1;
      }
    }
    return c;
  }

  /**
   * The name a node's layer gets: the module path of a PyTorch-style node name, the node name, or
   * the weight's name without {@code .weight}.
   */
  static String derive(NodeProto node, String weight) {
    String n = node.getName();
    if (!n.isEmpty()) {
      Matcher m =
          Pattern.compile("/?(.+)/" + Pattern.quote(node.getOpType()) + "(_\\d+)?").matcher(n);
      if (m.matches()) {
        return m.group(1).replace('/', '.');
      }
      return n;
    }
    return weight.endsWith(".weight") && weight.length() > ".weight".length()
        ? weight.substring(0, weight.length() - ".weight".length())
        : weight;
  }

  private static List<OnnxLayer> name(List<Found> found) {
    Map<String, Integer> count = new HashMap<>();
    Set<String> fixed = new HashSet<>();
    for (Found f : found) {
      if (f.fixedName() != null) {
        fixed.add(f.fixedName());
      }
      count.merge(f.derived(), 1, Integer::sum);
    }
    Set<String> taken = new HashSet<>(fixed);
    List<String> names = new ArrayList<>();
    for (Found f : found) {
      String name;
      if (f.fixedName() != null) {
        name = f.fixedName();
      } else {
        name = f.derived();
        if (count.get(name) > 1 || fixed.contains(name)) {
          name = f.nodeName().isEmpty() ? f.layer().weight() : f.nodeName();
        }
        String base = name;
        for (int k = 2; taken.contains(name); k++) {
          name = base + "#" + k;
        }
        taken.add(name);
      }
      names.add(name);
    }
    List<OnnxLayer> out = new ArrayList<>();
    for (int i = 0; i < found.size(); i++) {
      OnnxLayer l = found.get(i).layer();
      Layer renamed =
          new Layer(
              names.get(i),
              l.layer().kind(),
              l.layer().outFeatures(),
              l.layer().inFeatures(),
              l.layer().hasBias(),
              l.layer().lowRank(),
              l.layer().ineligible());
      out.add(
          new OnnxLayer(
              renamed,
              l.op(),
              l.node(),
              l.first(),
              l.weight(),
              l.transposedStorage(),
              l.input(),
              l.layout()));
    }
    return out;
  }

  private static Optional<AttributeProto> attribute(NodeProto node, String name) {
    for (AttributeProto a : node.getAttributeList()) {
      if (a.getName().equals(name)) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  /**
   * Returns a node's attribute.
   *
   * @param node the node
   * @param name the attribute's name
   * @return the attribute, if the node has it
   */
  static Optional<AttributeProto> attributeOf(NodeProto node, String name) {
    return attribute(node, name);
  }

  private static String q(String s) {
    return InputFileException.quote(s);
  }
}
