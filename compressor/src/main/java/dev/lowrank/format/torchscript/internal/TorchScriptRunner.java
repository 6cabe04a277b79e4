package dev.lowrank.format.torchscript.internal;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.Pair;
import dev.lowrank.data.Tensor;
import dev.lowrank.format.LayerInputObserver;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.torchscript.internal.ModelAnalysis.ConvModule;
import dev.lowrank.format.torchscript.internal.ModelAnalysis.LinearModule;
import dev.lowrank.format.torchscript.internal.ModelAnalysis.Site;
import dev.lowrank.format.torchscript.internal.code.ClassDef;
import dev.lowrank.format.torchscript.internal.code.MethodDef;
import dev.lowrank.format.torchscript.internal.code.Param;
import dev.lowrank.io.TemporaryFiles;
import dev.lowrank.linalg.FloatMatrix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a TorchScript file through DJL's PyTorch engine for calibration: an instrumented copy of the
 * archive ({@link CaptureArchive}, in a temporary directory removed on close) reports each observed
 * layer's input (a linear layer's or a convolution's), in call order, through its generated {@code
 * lowrank_take()} method, and weights are replaced in place through the module's parameter arrays
 * (a convolution's kernel from its channel form).
 */
final class TorchScriptRunner implements ModelRunner {

  private final Path source;
  private final Path directory;
  private final Model model;
  private final PtSymbolBlock block;
  private final List<String> inputNames;
  private final List<String> observed;
  private final Map<String, NDArray> weights = new LinkedHashMap<>();
  private final Map<String, Site> layers;
  private final Map<NDArray, NDArray> saved = new LinkedHashMap<>();

  private TorchScriptRunner(
      Path source,
      Path directory,
      Model model,
      List<String> inputNames,
      List<String> observed,
      Map<String, Site> layers) {
    this.source = source;
    this.directory = directory;
    this.model = model;
    this.block = (PtSymbolBlock) model.getBlock();
    this.inputNames = List.copyOf(inputNames);
    this.observed = List.copyOf(observed);
    this.layers = layers;
    for (Pair<String, Parameter> p : block.getDirectParameters()) {
      weights.put(p.getKey(), p.getValue().getArray());
    }
  }

  /**
   * Writes the instrumented copy and loads it.
   *
   * @param archive the opened archive
   * @param sites every layer by name
   * @param names the layers whose inputs to report
   * @return the runner
   * @throws ModelFileException if the copy cannot be written or PyTorch cannot load it
   * @throws IllegalArgumentException if a name is not a layer of the model
   */
  static TorchScriptRunner open(
      TorchScriptArchive archive, Map<String, ModelAnalysis.Site> sites, Set<String> names)
      throws ModelFileException {
    // Linear modules and convolutions are observed and replaced; the other sites (attention
    // projections) run as they are.
    Map<String, Site> layers = new LinkedHashMap<>();
    sites.forEach(
        (name, site) -> {
          if (site instanceof LinearModule || site instanceof ConvModule) {
            layers.put(name, site);
          }
        });
    List<Site> chosen = new ArrayList<>();
    List<String> order = new ArrayList<>();
    for (String name : names) {
      if (!sites.containsKey(name)) {
        throw new IllegalArgumentException("'" + name + "' is not a layer of " + archive.path());
      }
    }
    for (Site l : layers.values()) {
      if (names.contains(l.layer().name()) && CaptureArchive.observable(archive, l)) {
        chosen.add(l);
        order.add(l.layer().name());
      }
    }
    List<String> inputs = inputNames(archive);
    Path dir;
    try {
      dir = TemporaryFiles.createDirectory("lowrank-capture");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a temporary directory for calibration", e);
    }
    Model model = null;
    try {
      CaptureArchive.write(archive, chosen, dir.resolve("capture.pt"));
      model = Model.newInstance("lowrank-capture", Device.cpu(), "PyTorch");
      // Parameters loaded for inference are inference tensors, which cannot be written in place;
      // loaded as trainable (then put in eval mode, and run without gradients) they can.
      model.load(dir, "capture", Map.of("mapLocation", "true", "trainParam", "true"));
      JniUtils.enableInferenceMode((PtSymbolBlock) model.getBlock());
      return new TorchScriptRunner(archive.path(), dir, model, inputs, order, layers);
    } catch (IOException | MalformedModelException | RuntimeException e) {
      if (model != null) {
        model.close();
      }
      deleteQuietly(dir, e);
      throw new ModelFileException(
          archive.path(),
          "cannot be run for calibration: PyTorch does not load its instrumented copy ("
              + oneLine(e)
              + ")",
          e);
    } catch (ModelFileException e) {
      deleteQuietly(dir, e);
      throw e;
    }
  }

  private static List<String> inputNames(TorchScriptArchive archive) throws ModelFileException {
    ClassDef root = archive.classes().get(archive.root().className());
    MethodDef forward = root == null ? null : root.methods().get("forward");
    if (forward == null) {
      throw new ModelFileException(
          archive.path(), "has no forward method on its top-level module; it cannot be run");
    }
    List<String> names = new ArrayList<>();
    for (Param p : forward.params().subList(1, forward.params().size())) {
      names.add(p.name());
    }
    return names;
  }

  private static void deleteQuietly(Path dir, Exception cause) {
    try {
      TemporaryFiles.delete(dir);
    } catch (IOException suppressed) {
      cause.addSuppressed(suppressed);
    }
  }

  @Override
  public List<String> inputNames() {
    return inputNames;
  }

  @Override
  public List<Tensor> run(List<Tensor> inputs, LayerInputObserver observer)
      throws ModelFileException {
    try (NDManager manager = model.getNDManager().newSubManager()) {
      PtNDManager pt = (PtNDManager) manager;
      IValue[] args = new IValue[inputs.size()];
      List<Tensor> outputs = new ArrayList<>();
      List<PtNDArray> captured;
      long[] ids;
      try {
        for (int i = 0; i < args.length; i++) {
          args[i] = IValue.from((PtNDArray) toArray(inputs.get(i), manager));
        }
        try (IValue out = IValueUtils.runMethod(block, "forward", args)) {
          NDList list = out.toNDList(pt);
          for (int i = 0; i < list.size(); i++) {
            outputs.add(toTensor("output" + i, list.get(i)));
          }
        }
      } catch (RuntimeException e) {
        take(pt).close();
        throw new ModelFileException(
            source,
            "fails on a batch of inputs "
                + inputs.stream().map(Tensor::toString).toList()
                + " ("
                + oneLine(e)
                + ")",
            e);
      } finally {
        for (IValue a : args) {
          if (a != null) {
            a.close();
          }
        }
      }
      try (Taken taken = take(pt)) {
        captured = taken.inputs();
        ids = taken.ids();
        for (int i = 0; i < ids.length; i++) {
          String layer = observed.get((int) ids[i]);
          if (observer.observes(layer)) {
            observer.observe(layer, toTensor(layer, captured.get(i)));
          }
        }
      }
      return outputs;
    }
  }

  /** The inputs a forward left in the shared lists, which {@code lowrank_take} emptied. */
  private record Taken(List<PtNDArray> inputs, long[] ids) implements AutoCloseable {
    @Override
    public void close() {
      inputs.forEach(NDArray::close);
    }
  }

  private Taken take(PtNDManager manager) {
    try (IValue result = IValueUtils.runMethod(block, CaptureArchive.TAKE)) {
      IValue[] parts = result.toIValueTuple();
      try {
        return new Taken(List.of(parts[0].toTensorArray(manager)), parts[1].toLongArray());
      } finally {
        for (IValue p : parts) {
          p.close();
        }
      }
    }
  }

  private static NDArray toArray(Tensor t, NDManager manager) {
    Shape shape = new Shape(t.shape());
    return t.type() == Tensor.Type.FLOAT32
        ? manager.create(t.floats(), shape)
        : manager.create(t.longs(), shape);
  }

  private static Tensor toTensor(String name, NDArray a) {
    float[] values;
    if (a.getDataType() == DataType.FLOAT32) {
      values = a.toFloatArray();
    } else {
      try (NDArray f = a.toType(DataType.FLOAT32, true)) {
        values = f.toFloatArray();
      }
    }
    return Tensor.ofFloats(name, a.getShape().getShape(), values);
  }

  @Override
  public boolean replaces(String layer) {
    Site l = layers.get(layer);
    return l != null && l.weight().isPresent() && weights.containsKey(layer + ".weight");
  }

  @Override
  public void setWeights(Map<String, FloatMatrix> replacements) {
    resetWeights();
    for (Map.Entry<String, FloatMatrix> e : replacements.entrySet()) {
      Site l = layers.get(e.getKey());
      NDArray weight = weights.get(e.getKey() + ".weight");
      if (l == null || l.weight().isEmpty() || weight == null) {
        throw new IllegalArgumentException(
            "'" + e.getKey() + "' is not a dense linear layer or convolution");
      }
      FloatMatrix w = e.getValue();
      // A convolution's kernel C_out x C_in x kh x kw is set from its channel form, whose
      // row-major values are the kernel's.
      Shape shape = weight.getShape();
      if (shape.get(0) != w.rows() || shape.size() != (long) w.rows() * w.cols()) {
        throw new IllegalArgumentException(
            "Layer " + e.getKey() + " is " + weight.getShape() + ", not " + w.shape());
      }
      if (!saved.containsKey(weight)) {
        saved.put(weight, weight.duplicate());
      }
      JniUtils.setGradMode(false);
      if (weight.getDataType() == DataType.FLOAT32) {
        weight.set(FloatBuffer.wrap(w.data()));
      } else if (weight.getDataType() == DataType.FLOAT64) {
        double[] d = new double[w.data().length];
        for (int i = 0; i < d.length; i++) {
          d[i] = w.data()[i];
        }
        weight.set(DoubleBuffer.wrap(d));
      } else {
        throw new IllegalArgumentException(
            "Layer " + e.getKey() + " holds " + weight.getDataType() + " weights");
      }
    }
  }

  @Override
  public void resetWeights() {
    JniUtils.setGradMode(false);
    saved.forEach(
        (weight, copy) -> {
          if (copy.getDataType() == DataType.FLOAT64) {
            weight.set(DoubleBuffer.wrap(copy.toDoubleArray()));
          } else {
            weight.set(FloatBuffer.wrap(copy.toFloatArray()));
          }
          copy.close();
        });
    saved.clear();
  }

  @Override
  public void close() {
    try {
      resetWeights();
    } finally {
      model.close();
      try {
        TemporaryFiles.delete(directory);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot delete " + directory, e);
      }
    }
  }

  private static String oneLine(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    // A TorchScript traceback ends with the error itself (e.g. "RuntimeError: mat1 and mat2
    // shapes cannot be multiplied"); the frames before it are noise in a one-line message.
    String last = "";
    for (String line : msg.split("\\R")) {
      if (!line.isBlank()) {
        last = line;
      }
    }
    if (msg.contains("Traceback of TorchScript") && !last.isEmpty()) {
      msg = last;
    }
    return msg.replaceAll("\\s+", " ").trim();
  }
}
