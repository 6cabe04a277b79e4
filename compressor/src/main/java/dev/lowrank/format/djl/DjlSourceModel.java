package dev.lowrank.format.djl;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.Manifest;
import dev.lowrank.format.LinearLayer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormat;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.internal.AtomicOutput;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Random;

/**
 * A DJL block model opened for compression: a loaded {@link Model} (from a model directory, or one
 * handed over by a caller) whose {@link Linear} blocks can be read and replaced.
 */
public final class DjlSourceModel implements SourceModel {

  /** Relative output difference above which a rewrite is refused. */
  private static final double PROBE_TOLERANCE = 1e-4;

  private static final long PROBE_SEED = 17;

  private final Path path;
  private final Model model;
  private final boolean owned;
  private final Properties serving;
  private final String modelName;
  private final Map<String, LinearSites.Site> sites = new LinkedHashMap<>();
  private final List<LinearLayer> layers = new ArrayList<>();
  private final Map<String, Linear> rewritten = new LinkedHashMap<>();

  DjlSourceModel(Path path, Model model, boolean owned, Properties serving, String modelName) {
    this.path = path;
    this.model = model;
    this.owned = owned;
    this.serving = serving;
    this.modelName = modelName;
    Block root = model.getBlock();
    BlockReferences refs = BlockReferences.of(root);
    for (LinearSites.Site site : LinearSites.find(root)) {
      sites.put(site.name(), site);
      layers.add(describe(site, refs));
    }
  }

  /**
   * Wraps a model already in memory (for example one an inference service loaded) so that the
   * compressor can rewrite it in place; the caller keeps ownership and closes it.
   *
   * @param model a model with an initialized block
   * @return the source model
   */
  public static DjlSourceModel wrap(Model model) {
    if (model.getBlock() == null || !model.getBlock().isInitialized()) {
      throw new IllegalArgumentException(
          "The model has no initialized block: load or train it before compressing it");
    }
    return new DjlSourceModel(
        model.getModelPath(), model, false, new Properties(), model.getName());
  }

  /**
   * Returns the model this source reads and rewrites.
   *
   * @return the DJL model
   */
  public Model model() {
    return model;
  }

  @Override
  public Path path() {
    return path;
  }

  @Override
  public ModelFormat format() {
    return new DjlModelFormat();
  }

  @Override
  public long parameterCount() {
    return parameterCount(model.getBlock());
  }

  static long parameterCount(Block block) {
    long total = 0;
    for (Pair<String, Parameter> p : block.getParameters()) {
      Parameter.Type type = p.getValue().getType();
      if (type == Parameter.Type.RUNNING_MEAN || type == Parameter.Type.RUNNING_VAR) {
        continue;
      }
      Shape shape =
          p.getValue().isInitialized()
              ? p.getValue().getArray().getShape()
              : p.getValue().getShape();
      if (shape != null) {
        total += shape.size();
      }
    }
    return total;
  }

  @Override
  public List<LinearLayer> linearLayers() {
    return List.copyOf(layers);
  }

  @Override
  public synchronized FloatMatrix readWeight(LinearLayer layer) throws ModelFileException {
    LinearSites.Site site = sites.get(layer.name());
    if (site == null || site.block() instanceof LowRankLinear) {
      throw new IllegalArgumentException("'" + layer.name() + "' is not a dense linear layer");
    }
    Parameter weight = site.block().getParameters().get("weight");
    if (weight == null || !weight.isInitialized()) {
      throw new ModelFileException(
          where(), "linear layer " + layer.name() + " has no weight values (was it loaded?)");
    }
    NDArray array = weight.getArray();
    Shape shape = array.getShape();
    float[] values =
        array.getDataType() == DataType.FLOAT32 ? array.toFloatArray() : toFloat32(array);
    return FloatMatrix.wrap((int) shape.get(0), (int) shape.get(1), values);
  }

  private static float[] toFloat32(NDArray array) {
    try (NDArray f = array.toType(DataType.FLOAT32, true)) {
      return f.toFloatArray();
    }
  }

  /**
   * Replaces the named layers of the in-memory model by {@link LowRankLinear} blocks holding the
   * given factors, after checking on a probe input that the result computes what the factorized
   * layers should. On any failure the model is left as it was.
   *
   * @param factors the factors per layer name
   * @throws ModelFileException if the rewritten model's output differs from its factorized
   *     reference (a block reads a Linear's weight outside the Linear's forward)
   */
  public synchronized void rewrite(Map<String, LowRankFactors> factors) throws ModelFileException {
    if (factors.isEmpty()) {
      return;
    }
    Block root = model.getBlock();
    NDManager manager = model.getNDManager();
    Optional<NDArray> reference = probe(root, factors);
    BlockReferences refs = BlockReferences.of(root);
    Map<Linear, LowRankLinear> done = new LinkedHashMap<>();
    for (Map.Entry<String, LowRankFactors> e : factors.entrySet()) {
      LinearSites.Site site = sites.get(e.getKey());
      if (site == null) {
        throw new IllegalArgumentException("No linear layer named '" + e.getKey() + "'");
      }
      LowRankLinear replacement = lowRank(site.block(), e.getValue(), manager);
      if (site.block() == root) {
        model.setBlock(replacement);
      } else {
        refs.replace(site.block(), replacement);
      }
      done.put(site.block(), replacement);
    }
    if (reference.isPresent()) {
      try (NDManager scratch = manager.newSubManager()) {
        NDArray expected = reference.get();
        NDArray actual = forward(model.getBlock(), probeInput(scratch));
        double diff = relativeDifference(expected, actual);
        expected.close();
        if (!(diff <= PROBE_TOLERANCE)) {
          for (Map.Entry<Linear, LowRankLinear> d : done.entrySet()) {
            if (d.getValue() == model.getBlock()) {
              model.setBlock(d.getKey());
            } else {
              refs.replace(d.getValue(), d.getKey());
            }
          }
          throw new ModelFileException(
              where(),
              String.format(
                  java.util.Locale.ROOT,
                  "after factorizing %s the model's output differs from its factorized reference"
                      + " by %.3g (relative); a block reads a Linear's weight outside the Linear,"
                      + " keep those layers dense with rules (--layer NAME=dense)",
                  factors.keySet(),
                  diff));
        }
      }
    }
    for (Map.Entry<String, LowRankFactors> e : factors.entrySet()) {
      LinearSites.Site old = sites.get(e.getKey());
      rewritten.put(e.getKey(), done.get(old.block()));
      sites.put(e.getKey(), new LinearSites.Site(e.getKey(), done.get(old.block())));
    }
  }

  @Override
  public void write(Path output, Map<String, LowRankFactors> factors, CompressionResult manifest)
      throws IOException, ModelFileException {
    rewrite(factors);
    String name = modelName == null || modelName.isBlank() ? "model" : modelName;
    AtomicOutput.writeDirectory(
        output,
        dir -> {
          restoreInputNames();
          model.save(dir, name);
          Properties props = new Properties();
          props.putAll(serving);
          String base = serving.getProperty(LowRankBlockFactory.BASE_FACTORY);
          if (base == null) {
            base = serving.getProperty("blockFactory");
          }
          if (base == null) {
            throw new IOException(
                "the model has no blockFactory in serving.properties, so a compressed copy could"
                    + " not be loaded again");
          }
          props.setProperty("engine", "PyTorch");
          props.setProperty("option.modelName", name);
          props.setProperty("blockFactory", LowRankBlockFactory.class.getName());
          props.setProperty(LowRankBlockFactory.BASE_FACTORY, base);
          try (OutputStream out = Files.newOutputStream(dir.resolve("serving.properties"))) {
            props.store(out, "lowrank compressed model: load with DJL Criteria");
          }
          try (Writer w =
              Files.newBufferedWriter(dir.resolve(Manifest.FILE_NAME), StandardCharsets.UTF_8)) {
            w.write(Manifest.toJson(manifest));
          }
        });
  }

  /**
   * A block loaded from a parameter file knows its input shapes but not its input names, and DJL's
   * {@code Model.save} needs both; initializing the (already initialized) tree again restores the
   * names without touching any value.
   */
  private void restoreInputNames() {
    Block root = model.getBlock();
    try {
      root.describeInput();
    } catch (IllegalArgumentException e) {
      PairList<String, Shape> inputs = model.describeInput();
      root.initialize(
          model.getNDManager(), DataType.FLOAT32, inputs.values().toArray(new Shape[0]));
      root.freezeParameters(true);
    }
  }

  @Override
  public void close() {
    if (owned) {
      model.close();
    }
  }

  private Path where() {
    return path == null ? Path.of(model.getName()) : path;
  }

  private static LinearLayer describe(LinearSites.Site site, BlockReferences refs) {
    Linear linear = site.block();
    if (linear instanceof LowRankLinear low) {
      return new LinearLayer(
          site.name(),
          (int) low.getUnits(),
          (int) low.getInFeatures(),
          low.hasBias(),
          OptionalInt.of(low.getRank()),
          Optional.empty());
    }
    Parameter weight = linear.getParameters().get("weight");
    Shape shape = weight.isInitialized() ? weight.getArray().getShape() : weight.getShape();
    boolean bias = linear.getParameters().contains("bias");
    LinearLayer layer =
        LinearLayer.dense(site.name(), (int) shape.get(0), (int) shape.get(1), bias);
    if (linear.getClass() != Linear.class) {
      return layer.withIneligible(
          "it is a "
              + linear.getClass().getName()
              + ", a subclass of Linear whose forward lowrank"
              + " does not know");
    }
    Optional<String> obstacle = refs.obstacle(linear, LowRankLinear.class);
    return obstacle.map(layer::withIneligible).orElse(layer);
  }

  private static LowRankLinear lowRank(Linear linear, LowRankFactors f, NDManager manager) {
    FloatMatrix a = f.a();
    FloatMatrix b = f.b();
    NDArray arrA = manager.create(a.data(), new Shape(a.rows(), a.cols()));
    NDArray arrB = manager.create(b.data(), new Shape(b.rows(), b.cols()));
    Parameter bias = linear.getParameters().get("bias");
    NDArray biasArr = bias == null ? null : bias.getArray();
    PairList<String, Shape> described = linear.describeInput();
    Shape batch =
        described.isEmpty() || described.valueAt(0) == null ? new Shape(1) : described.valueAt(0);
    return LowRankLinear.lowRankBuilder()
        .setUnits(b.rows())
        .setRank(f.rank())
        .optBias(biasArr != null)
        .optValues(arrA, arrB, biasArr, batch.add(a.cols()))
        .build();
  }

  /**
   * Runs the model on a seeded probe input with the chosen layers' weights set to {@code B A}, the
   * output the rewritten model must reproduce; restores the weights afterwards.
   */
  private Optional<NDArray> probe(Block root, Map<String, LowRankFactors> factors) {
    NDManager manager = model.getNDManager();
    Map<NDArray, float[]> saved = new LinkedHashMap<>();
    try (NDManager scratch = manager.newSubManager()) {
      NDList input = probeInput(scratch);
      if (input == null) {
        return Optional.empty();
      }
      for (Map.Entry<String, LowRankFactors> e : factors.entrySet()) {
        NDArray weight = sites.get(e.getKey()).block().getParameters().get("weight").getArray();
        if (weight.getDataType() != DataType.FLOAT32) {
          return Optional.empty();
        }
        saved.put(weight, weight.toFloatArray());
        weight.set(FloatBuffer.wrap(e.getValue().product().data()));
      }
      NDArray out = forward(root, input);
      out.attach(manager);
      return Optional.of(out);
    } catch (RuntimeException e) {
      // The block needs inputs a random float probe cannot provide: rely on the reference scan.
      return Optional.empty();
    } finally {
      saved.forEach((array, values) -> array.set(FloatBuffer.wrap(values)));
    }
  }

  private NDList probeInput(NDManager scratch) {
    PairList<String, Shape> inputs = model.describeInput();
    if (inputs == null || inputs.size() != 1 || inputs.valueAt(0) == null) {
      return null;
    }
    Shape shape = inputs.valueAt(0);
    Random random = new Random(PROBE_SEED);
    float[] values = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return new NDList(scratch.create(values, shape));
  }

  private static NDArray forward(Block block, NDList input) {
    NDList out = block.forward(new ParameterStore(input.head().getManager(), false), input, false);
    return out.head();
  }

  private static double relativeDifference(NDArray expected, NDArray actual) {
    float[] e = expected.toFloatArray();
    float[] a = actual.toFloatArray();
    if (e.length != a.length) {
      return Double.POSITIVE_INFINITY;
    }
    double num = 0;
    double den = 0;
    for (int i = 0; i < e.length; i++) {
      double d = (double) e[i] - a[i];
      num += d * d;
      den += (double) e[i] * e[i];
    }
    return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
  }
}
