package dev.lowrank.format.onnx.internal;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.lowrank.data.Tensor;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerInputObserver;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.onnx.OnnxEnvironment;
import dev.lowrank.format.onnx.internal.OnnxLayer.InputLayout;
import dev.lowrank.format.onnx.internal.OnnxLayer.Op;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.GraphProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.ModelProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorShapeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TypeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.ValueInfoProto;
import dev.lowrank.io.InputFileException;
import dev.lowrank.linalg.FloatMatrix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Runs an ONNX model with ONNX Runtime's Java API ({@link OrtSession}).
 *
 * <p>The session runs a copy of the model built in memory: the inputs of the observed layers are
 * added as graph outputs (so ONNX Runtime returns them with the model's outputs), and tensors kept
 * in external data files are handed to ONNX Runtime as external initializers mapped straight from
 * their files (nothing is copied through the heap; subgraph tensors with external data are
 * inlined). The copy is serialized into a direct buffer, never written to disk.
 *
 * <p>{@link #setWeights} replaces a layer's {@code W} by feeding it: the first call rebuilds the
 * session once with every dense float32 layer weight turned from an initializer into a graph input
 * (ONNX Runtime's Java API does not feed overridable initializers), after which each call only
 * creates the new weight tensors, and each run feeds every weight (the original ones straight from
 * the mapped file). The cost: one more session build (about as long as the first), the new tensors
 * (the weights transposed into ONNX's layout), and since ONNX Runtime cannot treat fed weights as
 * constants, it no longer pre-packs them for its matrix kernels, so runs after the first {@code
 * setWeights} are slower (measured in the README).
 */
final class OnnxRunner implements ModelRunner {

  private final OnnxModel model;
  private final OrtEnvironment env;
  private final List<OnnxLayer> observed = new ArrayList<>();
  private final Set<String> fetched = new LinkedHashSet<>();
  private final List<String> outputs;
  private final List<OnnxTensor> externals = new ArrayList<>();
  private final Map<String, OnnxTensor> overrides = new LinkedHashMap<>();
  private final Map<String, OnnxTensor> defaults = new LinkedHashMap<>();
  private final ModelProto base;
  private final Map<String, OnnxTensorLike> externalInitializers = new LinkedHashMap<>();
  private OrtSession.SessionOptions options;
  private OrtSession session;
  private List<String> inputNames;
  private Map<String, TensorInfo> inputInfo;
  private boolean weightInputs;

  OnnxRunner(OnnxModel model, Set<String> observedLayers) throws ModelFileException {
    this.model = model;
    this.env = OnnxEnvironment.get();
    OnnxGraph graph = model.graph();
    for (OnnxLayer l : model.scanned()) {
      if (observedLayers.contains(l.name())) {
        if (graph.initializers().containsKey(l.input())) {
          throw new IllegalArgumentException(
              "Layer " + l.name() + " multiplies a constant; there is no input to observe");
        }
        TensorProto w = graph.initializers().get(l.weight());
        if (l.layer().lowRank().isEmpty()
            && (w == null || w.getDataType() != TensorProto.DataType.FLOAT_VALUE)) {
          throw new IllegalArgumentException(
              "Layer "
                  + l.name()
                  + " does not multiply float32 values ("
                  + l.layer().ineligible().orElse("not a float32 weight")
                  + "); observe float32 layers only");
        }
        observed.add(l);
      }
    }
    for (String name : observedLayers) {
      model.layer(name); // throws for names that are not layers
    }
    this.outputs = List.copyOf(graph.outputs());
    GraphProto.Builder g = model.file().model().getGraph().toBuilder();
    for (OnnxLayer l : observed) {
      String v = l.input();
      if (!graph.inputs().contains(v) && !graph.outputs().contains(v) && fetched.add(v)) {
        g.addOutput(
            ValueInfoProto.newBuilder()
                .setName(v)
                .setType(
                    TypeProto.newBuilder()
                        .setTensorType(
                            TypeProto.Tensor.newBuilder()
                                .setElemType(TensorProto.DataType.FLOAT_VALUE))));
      } else if (graph.outputs().contains(v)) {
        fetched.add(v);
      }
    }
    try {
      this.base = externalize(model.file().model().toBuilder().setGraph(g).build());
      createSession(false);
    } catch (OrtException e) {
      close();
      throw new ModelFileException(
          model.path(), "ONNX Runtime cannot load the model (" + oneLine(e) + ")", e);
    } catch (ModelFileException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Hands main-graph tensors with external data to ONNX Runtime from their mapped files, and
   * inlines the other external tensors.
   */
  private ModelProto externalize(ModelProto m) throws ModelFileException, OrtException {
    if (model.externalFiles().isEmpty()) {
      return m;
    }
    Set<TensorProto> main = Collections.newSetFromMap(new IdentityHashMap<>());
    main.addAll(m.getGraph().getInitializerList());
    OnnxFile file = model.file();
    try {
      return TensorWalk.map(
          m,
          (t, where) -> {
            if (!ExternalData.isExternal(t)) {
              return t;
            }
            ByteBuffer bytes = TensorData.rawBytes(file, t, where);
            Optional<OnnxJavaType> type = javaType(t.getDataType());
            if (main.contains(t) && type.isPresent()) {
              try {
                long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
                OnnxTensor tensor = OnnxTensor.createTensor(env, bytes, dims, type.get());
                externals.add(tensor);
                externalInitializers.put(t.getName(), tensor);
              } catch (OrtException e) {
                throw new IOException(e);
              }
              return t;
            }
            return t.toBuilder()
                .clearExternalData()
                .clearDataLocation()
                .setRawData(ByteString.copyFrom(bytes))
                .build();
          });
    } catch (IOException e) {
      if (e.getCause() instanceof OrtException o) {
        throw o;
      }
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<OnnxJavaType> javaType(int dataType) {
    TensorProto.DataType t = TensorProto.DataType.forNumber(dataType);
    if (t == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(
        switch (t) {
          case FLOAT -> OnnxJavaType.FLOAT;
          case DOUBLE -> OnnxJavaType.DOUBLE;
          case INT8 -> OnnxJavaType.INT8;
          case UINT8 -> OnnxJavaType.UINT8;
          case INT16 -> OnnxJavaType.INT16;
          case INT32 -> OnnxJavaType.INT32;
          case INT64 -> OnnxJavaType.INT64;
          case BOOL -> OnnxJavaType.BOOL;
          case FLOAT16 -> OnnxJavaType.FLOAT16;
          case BFLOAT16 -> OnnxJavaType.BFLOAT16;
          default -> null;
        });
  }

  /**
   * (Re)builds the session; with {@code weightsAsInputs}, every dense float32 layer weight is
   * removed from the initializers and declared as a graph input instead, fed on every run (by its
   * original values, or by those {@link #setWeights} gave). ONNX Runtime's Java API does not feed
   * overridable initializers, so the weights become plain inputs.
   */
  private void createSession(boolean weightsAsInputs) throws OrtException, ModelFileException {
    ModelProto m = base;
    Map<String, OnnxTensorLike> injected = new LinkedHashMap<>(externalInitializers);
    if (weightsAsInputs) {
      Set<String> fed = new LinkedHashSet<>();
      GraphProto.Builder g = m.getGraph().toBuilder();
      for (OnnxLayer l : settableLayers()) {
        TensorProto w = model.graph().initializers().get(l.weight());
        fed.add(w.getName());
        injected.remove(w.getName());
        if (!defaults.containsKey(w.getName())) {
          defaults.put(w.getName(), weightTensor(w));
        }
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : w.getDimsList()) {
          shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        g.addInput(
            ValueInfoProto.newBuilder()
                .setName(w.getName())
                .setType(
                    TypeProto.newBuilder()
                        .setTensorType(
                            TypeProto.Tensor.newBuilder()
                                .setElemType(TensorProto.DataType.FLOAT_VALUE)
                                .setShape(shape))));
      }
      List<TensorProto> kept = new ArrayList<>();
      for (TensorProto t : g.getInitializerList()) {
        if (!fed.contains(t.getName())) {
          kept.add(t);
        }
      }
      g.clearInitializer().addAllInitializer(kept);
      m = m.toBuilder().setGraph(g).build();
    }
    ByteBuffer bytes = ByteBuffer.allocateDirect(m.getSerializedSize());
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      m.writeTo(out);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    bytes.flip();
    OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
    try {
      opts.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
      if (!injected.isEmpty()) {
        opts.addExternalInitializers(injected);
      }
      OrtSession s = env.createSession(bytes, opts);
      closeSession();
      session = s;
      options = opts;
      weightInputs = weightsAsInputs;
      inputNames = new ArrayList<>();
      inputInfo = new LinkedHashMap<>();
      for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
        if (model.graph().initializers().containsKey(e.getKey())) {
          continue;
        }
        inputNames.add(e.getKey());
        if (e.getValue().getInfo() instanceof TensorInfo ti) {
          inputInfo.put(e.getKey(), ti);
        }
      }
    } catch (OrtException | RuntimeException e) {
      opts.close();
      throw e;
    }
  }

  /** A weight's original values as a tensor, from the mapped file where they are raw bytes. */
  private OnnxTensor weightTensor(TensorProto w) throws OrtException, ModelFileException {
    long[] dims = w.getDimsList().stream().mapToLong(Long::longValue).toArray();
    String where = "initializer " + InputFileException.quote(w.getName());
    if (w.getRawData().isEmpty() && !ExternalData.isExternal(w)) {
      FloatMatrix values = TensorData.readMatrix(model.file(), w, false, where);
      return OnnxTensor.createTensor(env, direct(TensorData.littleEndian(values, false)), dims);
    }
    ByteBuffer raw = TensorData.rawBytes(model.file(), w, where);
    if (!raw.isDirect()) {
      raw = direct(raw);
    }
    return OnnxTensor.createTensor(env, raw, dims, OnnxJavaType.FLOAT);
  }

  private static ByteBuffer direct(ByteBuffer heap) {
    ByteBuffer d = ByteBuffer.allocateDirect(heap.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    d.put(heap.duplicate()).flip();
    return d;
  }

  private List<OnnxLayer> settableLayers() {
    List<OnnxLayer> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (OnnxLayer l : model.scanned()) {
      TensorProto w = model.graph().initializers().get(l.weight());
      if (l.op() != Op.OTHER
          && l.layer().lowRank().isEmpty()
          && w != null
          && w.getDataType() == TensorProto.DataType.FLOAT_VALUE
          && !model.graph().inputs().contains(l.weight())
          && seen.add(l.weight())) {
        out.add(l);
      }
    }
    return out;
  }

  @Override
  public List<String> inputNames() {
    return Collections.unmodifiableList(inputNames);
  }

  @Override
  public List<Tensor> run(List<Tensor> inputs, LayerInputObserver observer)
      throws ModelFileException {
    if (inputs.size() != inputNames.size()) {
      throw new IllegalArgumentException(
          "The model takes "
              + inputNames.size()
              + " inputs "
              + inputNames
              + ", got "
              + inputs.size());
    }
    Map<String, OnnxTensor> feed = new LinkedHashMap<>();
    Map<String, Tensor> given = new LinkedHashMap<>();
    try {
      for (int i = 0; i < inputs.size(); i++) {
        String name = inputNames.get(i);
        given.put(name, inputs.get(i));
        feed.put(name, toOrt(name, inputs.get(i)));
      }
      Map<String, OnnxTensor> all = new LinkedHashMap<>(feed);
      if (weightInputs) {
        all.putAll(defaults);
        all.putAll(overrides);
      }
      Set<String> wanted = new LinkedHashSet<>(outputs);
      wanted.addAll(fetched);
      try (OrtSession.Result result = session.run(all, wanted)) {
        for (OnnxLayer l : observed) {
          Tensor x =
              given.containsKey(l.input())
                  ? given.get(l.input()).withName(l.name())
                  : toTensor(l.name(), result.get(l.input()).orElseThrow());
          observer.observe(l.name(), layout(Tensor.ofFloats(l.name(), x.shape(), x.toFloats()), l));
        }
        List<Tensor> out = new ArrayList<>();
        for (String o : outputs) {
          out.add(toTensor(o, result.get(o).orElseThrow()));
        }
        return out;
      }
    } catch (OrtException e) {
      throw new ModelFileException(
          model.path(),
          "fails on a batch of inputs "
              + inputs.stream().map(Tensor::toString).toList()
              + " ("
              + oneLine(e)
              + ")",
          e);
    } finally {
      feed.values().forEach(OnnxTensor::close);
    }
  }

  /** Puts the layer's {@code m} inputs on the last axis. */
  private static Tensor layout(Tensor x, OnnxLayer l) {
    if (l.layout() == InputLayout.LAST_AXIS || x.dimensions() < 2) {
      return x;
    }
    long[] s = x.shape();
    int d = s.length;
    int rows = (int) s[d - 2];
    int cols = (int) s[d - 1];
    float[] v = x.floats();
    float[] t = new float[v.length];
    int block = rows * cols;
    for (int b = 0; b < v.length / Math.max(block, 1); b++) {
      int base = b * block;
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          t[base + j * rows + i] = v[base + i * cols + j];
        }
      }
    }
    s[d - 2] = cols;
    s[d - 1] = rows;
    return Tensor.ofFloats(x.name(), s, t);
  }

  private OnnxTensor toOrt(String name, Tensor t) throws OrtException, ModelFileException {
    TensorInfo info = inputInfo.get(name);
    OnnxJavaType type = info == null ? null : info.type;
    long[] shape = t.shape();
    if (type == null || type == OnnxJavaType.FLOAT) {
      return OnnxTensor.createTensor(env, FloatBuffer.wrap(t.toFloats()), shape);
    }
    switch (type) {
      case DOUBLE:
        {
          float[] f = t.toFloats();
          double[] d = new double[f.length];
          for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
          }
          return OnnxTensor.createTensor(env, DoubleBuffer.wrap(d), shape);
        }
      case INT64:
        return OnnxTensor.createTensor(env, LongBuffer.wrap(longs(t)), shape);
      case INT32:
        {
          long[] l = longs(t);
          int[] v = new int[l.length];
          for (int i = 0; i < l.length; i++) {
            v[i] = (int) l[i];
          }
          return OnnxTensor.createTensor(env, IntBuffer.wrap(v), shape);
        }
      case BOOL:
        {
          long[] l = longs(t);
          ByteBuffer b = ByteBuffer.allocateDirect(l.length).order(ByteOrder.nativeOrder());
          for (long x : l) {
            b.put((byte) (x != 0 ? 1 : 0));
          }
          b.flip();
          return OnnxTensor.createTensor(env, b, shape, OnnxJavaType.BOOL);
        }
      default:
        throw new ModelFileException(
            model.path(),
            "input "
                + InputFileException.quote(name)
                + " takes "
                + type
                + " values; lowrank feeds float32 and integer inputs");
    }
  }

  private static long[] longs(Tensor t) {
    if (t.type() == Tensor.Type.INT64) {
      return t.longs();
    }
    float[] f = t.floats();
    long[] l = new long[f.length];
    for (int i = 0; i < f.length; i++) {
      l[i] = Math.round(f[i]);
    }
    return l;
  }

  private Tensor toTensor(String name, OnnxValue value) throws ModelFileException {
    if (!(value instanceof OnnxTensor t)) {
      throw new ModelFileException(
          model.path(),
          "output "
              + InputFileException.quote(name)
              + " is not a tensor ("
              + value.getType()
              + ")");
    }
    TensorInfo info = t.getInfo();
    long[] shape = info.getShape();
    float[] values;
    switch (info.type) {
      case FLOAT, FLOAT16, BFLOAT16:
        {
          FloatBuffer b = t.getFloatBuffer();
          values = new float[b.remaining()];
          b.get(values);
          break;
        }
      case DOUBLE:
        {
          DoubleBuffer b = t.getDoubleBuffer();
          values = new float[b.remaining()];
          for (int i = 0; i < values.length; i++) {
            values[i] = (float) b.get(i);
          }
          break;
        }
      case INT64:
        {
          LongBuffer b = t.getLongBuffer();
          values = new float[b.remaining()];
          for (int i = 0; i < values.length; i++) {
            values[i] = b.get(i);
          }
          break;
        }
      case INT32:
        {
          IntBuffer b = t.getIntBuffer();
          values = new float[b.remaining()];
          for (int i = 0; i < values.length; i++) {
            values[i] = b.get(i);
          }
          break;
        }
      case INT8, UINT8, BOOL:
        {
          ByteBuffer b = t.getByteBuffer();
          values = new float[b.remaining()];
          for (int i = 0; i < values.length; i++) {
            values[i] = info.type == OnnxJavaType.INT8 ? b.get(i) : b.get(i) & 0xff;
          }
          break;
        }
      default:
        throw new ModelFileException(
            model.path(),
            "output " + InputFileException.quote(name) + " holds " + info.type + " values");
    }
    return Tensor.ofFloats(name, shape, values);
  }

  @Override
  public void setWeights(Map<String, FloatMatrix> weights) {
    resetWeights();
    if (weights.isEmpty()) {
      return;
    }
    Map<String, OnnxLayer> chosen = new LinkedHashMap<>();
    List<OnnxLayer> settable = settableLayers();
    for (Map.Entry<String, FloatMatrix> e : weights.entrySet()) {
      OnnxLayer l = model.layer(e.getKey());
      if (!settable.contains(l)) {
        throw new IllegalArgumentException(
            "'"
                + e.getKey()
                + "' is not a dense float32 linear layer whose weight can be replaced");
      }
      Layer layer = l.layer();
      FloatMatrix w = e.getValue();
      if (w.rows() != layer.outFeatures() || w.cols() != layer.inFeatures()) {
        throw new IllegalArgumentException(
            "Layer " + e.getKey() + " is " + layer.shape() + ", not " + w.shape());
      }
      chosen.put(e.getKey(), l);
    }
    try {
      if (!weightInputs) {
        createSession(true);
      }
      for (Map.Entry<String, OnnxLayer> e : chosen.entrySet()) {
        OnnxLayer l = e.getValue();
        FloatMatrix w = weights.get(e.getKey());
        ByteBuffer bytes = TensorData.littleEndian(w, l.transposedStorage());
        ByteBuffer direct =
            ByteBuffer.allocateDirect(bytes.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        direct.put(bytes).flip();
        long[] dims =
            l.transposedStorage()
                ? new long[] {w.cols(), w.rows()}
                : new long[] {w.rows(), w.cols()};
        overrides.put(l.weight(), OnnxTensor.createTensor(env, direct.asFloatBuffer(), dims));
      }
    } catch (OrtException | ModelFileException e) {
      resetWeights();
      throw new IllegalStateException(
          "ONNX Runtime cannot take replaced weights for " + model.path() + ": " + oneLine(e), e);
    }
  }

  @Override
  public void resetWeights() {
    overrides.values().forEach(OnnxTensor::close);
    overrides.clear();
  }

  private void closeSession() throws OrtException {
    if (session != null) {
      session.close();
      session = null;
    }
    if (options != null) {
      options.close();
      options = null;
    }
  }

  @Override
  public void close() {
    resetWeights();
    try {
      closeSession();
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed to close a session: " + oneLine(e), e);
    } finally {
      defaults.values().forEach(OnnxTensor::close);
      defaults.clear();
      externals.forEach(OnnxTensor::close);
      externals.clear();
    }
  }

  private static String oneLine(Throwable e) {
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return InputFileException.quote(msg.replaceAll("\\s+", " ").trim());
  }
}
