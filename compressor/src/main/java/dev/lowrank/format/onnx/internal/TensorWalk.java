package dev.lowrank.format.onnx.internal;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.AttributeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.FunctionProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.GraphProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.ModelProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.NodeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.SparseTensorProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TrainingInfoProto;
import dev.lowrank.io.InputFileException;
import java.io.IOException;
import java.util.List;

/**
 * Visits, and rewrites, every tensor of a model wherever the format allows one: graph initializers
 * (dense and sparse), node attributes ({@code Constant} values, tensor lists), subgraphs of
 * control-flow nodes at any depth, model-local functions and training graphs. Rewriting rebuilds
 * only the messages on the way to a changed tensor; everything else is shared.
 */
final class TensorWalk {

  /** Sees or replaces one tensor. */
  @FunctionalInterface
  interface Mapper {
    /**
     * Returns the tensor to keep in place of {@code t}.
     *
     * @param t the tensor
     * @param where the tensor as error messages name it
     * @return {@code t} itself to keep it, or its replacement
     * @throws ModelFileException if the tensor is unusable
     * @throws IOException if copying its data fails
     */
    TensorProto map(TensorProto t, String where) throws ModelFileException, IOException;
  }

  private final Mapper mapper;

  private TensorWalk(Mapper mapper) {
    this.mapper = mapper;
  }

  /**
   * Shows every tensor of a model to a visitor.
   *
   * @param model the model
   * @param visitor sees each tensor, returns it unchanged
   * @throws ModelFileException if the visitor refuses a tensor
   */
  static void visit(ModelProto model, Mapper visitor) throws ModelFileException {
    try {
      map(model, visitor);
    } catch (IOException e) {
      throw new IllegalStateException("a visit copies nothing", e);
    }
  }

  /**
   * Returns a model in which every tensor is what the mapper returns for it.
   *
   * @param model the model
   * @param mapper maps each tensor
   * @return the rewritten model ({@code model} itself if nothing changed)
   * @throws ModelFileException if the mapper refuses a tensor
   * @throws IOException if the mapper fails to copy data
   */
  static ModelProto map(ModelProto model, Mapper mapper) throws ModelFileException, IOException {
    TensorWalk w = new TensorWalk(mapper);
    ModelProto.Builder b = null;
    if (model.hasGraph()) {
      GraphProto g = w.graph(model.getGraph(), "");
      if (g != model.getGraph()) {
        b = model.toBuilder().setGraph(g);
      }
    }
    List<FunctionProto> functions = model.getFunctionsList();
    for (int i = 0; i < functions.size(); i++) {
      FunctionProto f = functions.get(i);
      FunctionProto nf = w.function(f);
      if (nf != f) {
        b = b == null ? model.toBuilder() : b;
        b.setFunctions(i, nf);
      }
    }
    List<TrainingInfoProto> training = model.getTrainingInfoList();
    for (int i = 0; i < training.size(); i++) {
      TrainingInfoProto t = training.get(i);
      TrainingInfoProto.Builder tb = null;
      if (t.hasInitialization()) {
        GraphProto g = w.graph(t.getInitialization(), " in a training initialization graph");
        if (g != t.getInitialization()) {
          tb = t.toBuilder().setInitialization(g);
        }
      }
      if (t.hasAlgorithm()) {
        GraphProto g = w.graph(t.getAlgorithm(), " in a training algorithm graph");
        if (g != t.getAlgorithm()) {
          tb = (tb == null ? t.toBuilder() : tb).setAlgorithm(g);
        }
      }
      if (tb != null) {
        b = b == null ? model.toBuilder() : b;
        b.setTrainingInfo(i, tb.build());
      }
    }
    return b == null ? model : b.build();
  }

  private static String name(String kind, String name, String context) {
    return kind + " " + InputFileException.quote(name) + context;
  }

  private GraphProto graph(GraphProto g, String context) throws ModelFileException, IOException {
    GraphProto.Builder b = null;
    List<TensorProto> inits = g.getInitializerList();
    for (int i = 0; i < inits.size(); i++) {
      TensorProto t = inits.get(i);
      TensorProto n = mapper.map(t, name("initializer", t.getName(), context));
      if (n != t) {
        b = b == null ? g.toBuilder() : b;
        b.setInitializer(i, n);
      }
    }
    List<SparseTensorProto> sparse = g.getSparseInitializerList();
    for (int i = 0; i < sparse.size(); i++) {
      SparseTensorProto s = sparse.get(i);
      SparseTensorProto n = sparse(s, "sparse initializer", context);
      if (n != s) {
        b = b == null ? g.toBuilder() : b;
        b.setSparseInitializer(i, n);
      }
    }
    List<NodeProto> nodes = g.getNodeList();
    for (int i = 0; i < nodes.size(); i++) {
      NodeProto node = nodes.get(i);
      NodeProto n = node(node, context);
      if (n != node) {
        b = b == null ? g.toBuilder() : b;
        b.setNode(i, n);
      }
    }
    return b == null ? g : b.build();
  }

  private SparseTensorProto sparse(SparseTensorProto s, String kind, String context)
      throws ModelFileException, IOException {
    SparseTensorProto.Builder b = null;
    if (s.hasValues()) {
      TensorProto v = s.getValues();
      TensorProto n = mapper.map(v, name(kind + " values", v.getName(), context));
      if (n != v) {
        b = s.toBuilder().setValues(n);
      }
    }
    if (s.hasIndices()) {
      TensorProto v = s.getIndices();
      TensorProto n = mapper.map(v, name(kind + " indices", v.getName(), context));
      if (n != v) {
        b = (b == null ? s.toBuilder() : b).setIndices(n);
      }
    }
    return b == null ? s : b.build();
  }

  private NodeProto node(NodeProto node, String context) throws ModelFileException, IOException {
    NodeProto.Builder b = null;
    List<AttributeProto> attrs = node.getAttributeList();
    String in = " in node " + InputFileException.quote(node.getName()) + context;
    for (int i = 0; i < attrs.size(); i++) {
      AttributeProto a = attrs.get(i);
      AttributeProto n = attribute(a, in);
      if (n != a) {
        b = b == null ? node.toBuilder() : b;
        b.setAttribute(i, n);
      }
    }
    return b == null ? node : b.build();
  }

  private AttributeProto attribute(AttributeProto a, String context)
      throws ModelFileException, IOException {
    AttributeProto.Builder b = null;
    String kind = "tensor of attribute " + InputFileException.quote(a.getName());
    if (a.hasT()) {
      TensorProto n = mapper.map(a.getT(), kind + context);
      if (n != a.getT()) {
        b = a.toBuilder().setT(n);
      }
    }
    for (int i = 0; i < a.getTensorsCount(); i++) {
      TensorProto t = a.getTensors(i);
      TensorProto n = mapper.map(t, kind + context);
      if (n != t) {
        b = b == null ? a.toBuilder() : b;
        b.setTensors(i, n);
      }
    }
    if (a.hasSparseTensor()) {
      SparseTensorProto n = sparse(a.getSparseTensor(), "sparse " + kind, context);
      if (n != a.getSparseTensor()) {
        b = (b == null ? a.toBuilder() : b).setSparseTensor(n);
      }
    }
    for (int i = 0; i < a.getSparseTensorsCount(); i++) {
      SparseTensorProto s = a.getSparseTensors(i);
      SparseTensorProto n = sparse(s, "sparse " + kind, context);
      if (n != s) {
        b = b == null ? a.toBuilder() : b;
        b.setSparseTensors(i, n);
      }
    }
    String sub = " in a subgraph" + context;
    if (a.hasG()) {
      GraphProto n = graph(a.getG(), sub);
      if (n != a.getG()) {
        b = (b == null ? a.toBuilder() : b).setG(n);
      }
    }
    for (int i = 0; i < a.getGraphsCount(); i++) {
      GraphProto g = a.getGraphs(i);
      GraphProto n = graph(g, sub);
      if (n != g) {
        b = b == null ? a.toBuilder() : b;
        b.setGraphs(i, n);
      }
    }
    return b == null ? a : b.build();
  }

  private FunctionProto function(FunctionProto f) throws ModelFileException, IOException {
    FunctionProto.Builder b = null;
    String context = " in function " + InputFileException.quote(f.getName());
    for (int i = 0; i < f.getNodeCount(); i++) {
      NodeProto node = f.getNode(i);
      NodeProto n = node(node, context);
      if (n != node) {
        b = b == null ? f.toBuilder() : b;
        b.setNode(i, n);
      }
    }
    return b == null ? f : b.build();
  }
}
