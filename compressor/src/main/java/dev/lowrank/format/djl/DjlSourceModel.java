package dev.lowrank.format.djl;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import dev.lowrank.format.ConvForm;
import dev.lowrank.format.ConvGeometry;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerKind;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormat;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.io.InputFileException;
import dev.lowrank.io.OutputFiles;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.runtime.LowRankBlockFactory;
import dev.lowrank.runtime.LowRankConv2d;
import dev.lowrank.runtime.LowRankLinear;
import dev.lowrank.runtime.ManifestFile;
import dev.lowrank.runtime.blocks.BlockReferences;
import dev.lowrank.runtime.blocks.LayerSites;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * A DJL block model opened for compression: a loaded {@link Model} (from a model directory, or one
 * handed over by a caller) whose {@link Linear} and {@link Conv2d} blocks can be read and replaced
 * ({@link LowRankLinear}, {@link LowRankConv2d} in either {@link ConvForm}). Attention blocks that
 * call their projections' forward, as DJL's own {@code ScaledDotProductAttentionBlock} does, need
 * nothing else: their projections are {@code Linear} children like any other.
 *
 * <p>A layer is eligible only when every reference to it can be rewritten (see {@link
 * BlockReferences}) and, where the model can be run on a random input, when replacing it by an
 * exact low-rank stand-in leaves the model's output unchanged: a parent that reads the layer's
 * weight directly fails that check, and the layer stays dense with that reason. Grouped and
 * depthwise convolutions stay dense.
 */
public final class DjlSourceModel implements SourceModel {

  private final Path path;
  private final Model model;
  private final boolean owned;
  private final Properties serving;
  private final String modelName;
  private final Map<String, Linear> linears = new LinkedHashMap<>();
  private final Map<String, Conv2d> convs = new LinkedHashMap<>();
  private final List<Layer> layers = new ArrayList<>();

  DjlSourceModel(Path path, Model model, boolean owned, Properties serving, String modelName) {
    this.path = path;
    this.model = model;
    this.owned = owned;
    this.serving = serving;
    this.modelName = modelName;
    Block root = model.getBlock();
    BlockReferences refs = BlockReferences.of(root);
    List<Layer> described = new ArrayList<>();
    for (LayerSites.Site site : LayerSites.find(root)) {
      if (site.block() instanceof Linear linear) {
        linears.put(site.name(), linear);
        described.add(describe(site.name(), linear, refs));
      } else if (site.block() instanceof Conv2d conv) {
        Optional<Layer> layer = DjlConvolutions.describe(site.name(), conv);
        if (layer.isPresent()) {
          convs.put(site.name(), conv);
          described.add(obstacle(layer.get(), conv, LowRankConv2d.class, refs));
        }
      }
    }
    Map<String, String> weightReaders = probeWeightReaders(described, refs);
    for (Layer layer : described) {
      String reason = weightReaders.get(layer.name());
      layers.add(reason == null ? layer : layer.withIneligible(reason));
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
    return wrap(model, null);
  }

  /**
   * Wraps a model already in memory, naming the block factory that builds its original blocks, so
   * that {@link #write} can save it as a model directory DJL loads again.
   *
   * @param model a model with an initialized block
   * @param baseBlockFactory the class name of the original model's {@code BlockFactory}, or {@code
   *     null} when the model will not be written
   * @return the source model
   */
  public static DjlSourceModel wrap(Model model, String baseBlockFactory) {
    if (model.getBlock() == null || !model.getBlock().isInitialized()) {
      throw new IllegalArgumentException(
          "The model has no initialized block: load or train it before compressing it");
    }
    Properties serving = new Properties();
    Path dir = model.getModelPath();
    if (dir != null && Files.isRegularFile(dir.resolve("serving.properties"))) {
      try (InputStream in = Files.newInputStream(dir.resolve("serving.properties"))) {
        serving.load(in);
      } catch (IOException | IllegalArgumentException e) {
        // A model in memory need not come from a readable directory; the factory is given below.
        serving.clear();
      }
    }
    if (baseBlockFactory != null) {
      serving.setProperty("blockFactory", baseBlockFactory);
      serving.remove(LowRankBlockFactory.BASE_FACTORY);
    }
    return new DjlSourceModel(dir, model, false, serving, model.getName());
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
    return dev.lowrank.format.ModelFormats.djl();
  }

  @Override
  public long parameterCount() {
    long total = 0;
    for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
      Parameter.Type type = p.getValue().getType();
      if (type == Parameter.Type.RUNNING_MEAN || type == Parameter.Type.RUNNING_VAR) {
        continue;
      }
      Parameter param = p.getValue();
      Shape shape = param.isInitialized() ? param.getArray().getShape() : param.getShape();
      if (shape != null) {
        total += shape.size();
      }
    }
    return total;
  }

  @Override
  public List<Layer> layers() {
    return List.copyOf(layers);
  }

  @Override
  public Set<ConvForm> convForms(Layer layer) {
    return EnumSet.allOf(ConvForm.class);
  }

  @Override
  public ModelRunner runner(Set<String> observed) throws ModelFileException {
    Map<String, Block> chosen = new LinkedHashMap<>();
    for (String name : observed) {
      Block block = linears.containsKey(name) ? linears.get(name) : convs.get(name);
      Layer layer = layers.stream().filter(l -> l.name().equals(name)).findFirst().orElse(null);
      if (block == null || layer == null || !layer.factorizable()) {
        throw new IllegalArgumentException("'" + name + "' is not a dense, eligible layer");
      }
      chosen.put(name, block);
    }
    return new DjlRunner(this, chosen);
  }

  /** The names of the dense layers and their blocks, for the runner. */
  Map<String, Linear> linearBlocks() {
    return linears;
  }

  /** The names of the convolutions and their blocks, for the runner. */
  Map<String, Conv2d> convBlocks() {
    return convs;
  }

  Path where() {
    return path == null ? Path.of(model.getName()) : path;
  }

  @Override
  public synchronized FloatMatrix readWeight(Layer layer) throws ModelFileException {
    Conv2d conv = convs.get(layer.name());
    if (conv != null) {
      Parameter weight = conv.getParameters().get("weight");
      if (conv instanceof LowRankConv2d || weight == null) {
        throw new IllegalArgumentException("'" + layer.name() + "' is not a dense convolution");
      }
      if (!weight.isInitialized()) {
        throw new ModelFileException(
            where(), "convolution " + layer.name() + " has no weight values (was it loaded?)");
      }
      return DjlConvolutions.readChannelForm(conv);
    }
    Linear linear = linears.get(layer.name());
    if (linear == null || linear instanceof LowRankLinear) {
      throw new IllegalArgumentException("'" + layer.name() + "' is not a dense linear layer");
    }
    Parameter weight = linear.getParameters().get("weight");
    if (weight == null || !weight.isInitialized()) {
      throw new ModelFileException(
          where(), "linear layer " + layer.name() + " has no weight values (was it loaded?)");
    }
    NDArray array = weight.getArray();
    Shape shape = array.getShape();
    float[] values;
    if (array.getDataType() == DataType.FLOAT32) {
      values = array.toFloatArray();
    } else {
      try (NDArray f = array.toType(DataType.FLOAT32, true)) {
        values = f.toFloatArray();
      }
    }
    return FloatMatrix.wrap((int) shape.get(0), (int) shape.get(1), values);
  }

  /**
   * Replaces the named layers of the in-memory model by {@link LowRankLinear} blocks holding the
   * given factors (convolutions in the channel form), as {@link #rewrite(Map, Map)} does.
   *
   * @param factors the factors per layer name
   * @throws ModelFileException if the rewritten model's output differs from that reference
   */
  public synchronized void rewrite(Map<String, LowRankFactors> factors) throws ModelFileException {
    rewrite(factors, Map.of());
  }

  /**
   * Replaces the named layers of the in-memory model by {@link LowRankLinear} and {@link
   * LowRankConv2d} blocks holding the given factors, after checking on a probe input that the
   * result computes what the dense model with {@code W} replaced by {@code B A} computes. On
   * failure the model is left as it was.
   *
   * @param factors the factors per layer name
   * @param forms the form of each convolution's factors (absent: channel)
   * @throws ModelFileException if the rewritten model's output differs from that reference
   */
  public synchronized void rewrite(Map<String, LowRankFactors> factors, Map<String, ConvForm> forms)
      throws ModelFileException {
    if (factors.isEmpty()) {
      return;
    }
    NDManager manager = model.getNDManager();
    Map<Block, Block> swaps = new LinkedHashMap<>();
    for (Map.Entry<String, LowRankFactors> e : factors.entrySet()) {
      Conv2d conv = convs.get(e.getKey());
      if (conv != null && !(conv instanceof LowRankConv2d)) {
        ConvForm form = forms.getOrDefault(e.getKey(), ConvForm.CHANNEL);
        checkConvFactors(e.getKey(), DjlConvolutions.geometry(conv), form, e.getValue());
        swaps.put(conv, DjlConvolutions.lowRankBlock(conv, form, e.getValue(), manager));
        continue;
      }
      Linear linear = linears.get(e.getKey());
      if (linear == null || linear instanceof LowRankLinear) {
        throw new IllegalArgumentException("No dense linear layer named '" + e.getKey() + "'");
      }
      swaps.put(linear, lowRank(linear, e.getValue(), manager));
    }
    try (NDManager scratch = manager.newSubManager()) {
      Optional<OutputProbe> probe = probeWithDenseProducts(factors, forms, scratch);
      BlockReferences refs = BlockReferences.of(model.getBlock());
      OutputProbe.swap(model, refs, swaps);
      if (probe.isPresent()) {
        double diff = probe.get().difference();
        if (!(diff <= OutputProbe.TOLERANCE)) {
          OutputProbe.swap(model, refs, OutputProbe.inverse(swaps));
          throw new ModelFileException(
              where(),
              String.format(
                  Locale.ROOT,
                  "after factorizing %s the model's output differs from the same model with W"
                      + " replaced by B A (relative difference %.3g); keep those layers dense"
                      + " with --layer NAME=dense",
                  factors.keySet(),
                  diff));
        }
      }
    }
    swaps.forEach(
        (old, low) -> {
          if (low instanceof LowRankLinear l) {
            linears.replaceAll((name, linear) -> linear == old ? l : linear);
          } else if (low instanceof LowRankConv2d c) {
            convs.replaceAll((name, conv) -> conv == old ? c : conv);
          }
        });
  }

  private static void checkConvFactors(
      String name, ConvGeometry g, ConvForm form, LowRankFactors f) {
    if (f.b().rows() != form.rows(g) || f.a().cols() != form.cols(g)) {
      throw new IllegalArgumentException(
          "Factors of "
              + name
              + " are A "
              + f.a().shape()
              + " and B "
              + f.b().shape()
              + "; its "
              + form.label()
              + " form needs A r x "
              + form.cols(g)
              + " and B "
              + form.rows(g)
              + " x r");
    }
  }

  @Override
  public void write(Path output, Map<String, LowRankFactors> factors, byte[] manifest)
      throws IOException, ModelFileException {
    write(output, factors, Map.of(), manifest);
  }

  @Override
  public void write(
      Path output,
      Map<String, LowRankFactors> factors,
      Map<String, ConvForm> forms,
      byte[] manifest)
      throws IOException, ModelFileException {
    rewrite(factors, forms);
    String name = modelName == null || modelName.isBlank() ? "model" : modelName;
    String base =
        serving.getProperty(LowRankBlockFactory.BASE_FACTORY, serving.getProperty("blockFactory"));
    if (base == null) {
      throw new ModelFileException(
          where(),
          "has no blockFactory in serving.properties, so a compressed copy could not be loaded");
    }
    try {
      OutputFiles.writeDirectory(
          output,
          dir -> {
            restoreInputNames();
            model.save(dir, name);
            Properties props = new Properties();
            props.putAll(serving);
            props.setProperty("engine", "PyTorch");
            props.setProperty("option.modelName", name);
            props.setProperty("blockFactory", LowRankBlockFactory.class.getName());
            props.setProperty(LowRankBlockFactory.BASE_FACTORY, base);
            try (OutputStream out = Files.newOutputStream(dir.resolve("serving.properties"))) {
              props.store(out, "lowrank compressed model: load it with DJL Criteria");
            }
            Files.write(dir.resolve(ManifestFile.FILE_NAME), manifest);
          });
    } catch (ModelFileException e) {
      throw e;
    } catch (InputFileException e) {
      throw new ModelFileException(e.file(), e.getMessage(), e);
    }
  }

  @Override
  public Optional<byte[]> manifest() throws ModelFileException {
    if (path == null || !Files.isRegularFile(path.resolve(ManifestFile.FILE_NAME))) {
      return Optional.empty();
    }
    Path file = path.resolve(ManifestFile.FILE_NAME);
    try {
      if (Files.size(file) > ManifestFile.MAX_BYTES) {
        throw new ModelFileException(file, "is too large to be a lowrank manifest");
      }
      return Optional.of(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new ModelFileException(file, "cannot be read (" + e.getMessage() + ")", e);
    }
  }

  @Override
  public void close() {
    if (owned) {
      model.close();
    }
  }

  /**
   * Builds the low-rank replacement of a dense layer from factor arrays, keeping its bias and input
   * shape.
   *
   * @param linear the dense layer
   * @param a the first factor, r x m
   * @param b the second factor, n x r
   * @param rank r
   * @return the replacement block
   */
  static LowRankLinear lowRankBlock(Linear linear, NDArray a, NDArray b, int rank) {
    Parameter bias = linear.getParameters().get("bias");
    NDArray biasArr = bias == null ? null : bias.getArray();
    PairList<String, Shape> described = linear.describeInput();
    Shape batch =
        described.isEmpty() || described.valueAt(0) == null ? new Shape(1) : described.valueAt(0);
    return LowRankLinear.lowRankBuilder()
        .setUnits(b.getShape().get(0))
        .setRank(rank)
        .optBias(biasArr != null)
        .optValues(a, b, biasArr, batch.add(a.getShape().get(1)))
        .build();
  }

  private static LowRankLinear lowRank(Linear linear, LowRankFactors f, NDManager manager) {
    FloatMatrix a = f.a();
    FloatMatrix b = f.b();
    return lowRankBlock(
        linear,
        manager.create(a.data(), new Shape(a.rows(), a.cols())),
        manager.create(b.data(), new Shape(b.rows(), b.cols())),
        f.rank());
  }

  /**
   * Finds eligible layers whose exact low-rank stand-in changes the model's output: some parent
   * uses their weight outside their forward.
   */
  private Map<String, String> probeWeightReaders(List<Layer> described, BlockReferences refs) {
    Map<String, String> readers = new LinkedHashMap<>();
    if (model.getBlock() == null || !model.getBlock().isInitialized()) {
      return readers;
    }
    try (NDManager scratch = model.getNDManager().newSubManager()) {
      Optional<OutputProbe> probe = OutputProbe.create(model, scratch);
      if (probe.isEmpty()) {
        return readers;
      }
      Map<Block, Block> all = new LinkedHashMap<>();
      Map<Block, String> names = new LinkedHashMap<>();
      for (Layer layer : described) {
        if (layer.lowRank().isEmpty() && layer.ineligible().isEmpty()) {
          Block block;
          Block standIn;
          if (layer.kind() == LayerKind.CONV2D) {
            Conv2d conv = convs.get(layer.name());
            block = conv;
            standIn = DjlConvolutions.exactStandIn(conv, scratch);
          } else {
            Linear linear = linears.get(layer.name());
            block = linear;
            standIn = OutputProbe.exactStandIn(linear, scratch);
          }
          all.put(block, standIn);
          names.put(block, layer.name());
        }
      }
      if (all.isEmpty() || matchesWith(probe.get(), refs, all)) {
        return readers;
      }
      for (Map.Entry<Block, Block> one : all.entrySet()) {
        if (!matchesWith(probe.get(), refs, Map.of(one.getKey(), one.getValue()))) {
          readers.put(
              names.get(one.getKey()),
              "a parent block uses its weight outside its forward (the model's output changed"
                  + " when it was replaced by an exact factorization)");
        }
      }
    }
    return readers;
  }

  private boolean matchesWith(OutputProbe probe, BlockReferences refs, Map<Block, Block> swaps) {
    OutputProbe.swap(model, refs, swaps);
    try {
      return probe.matches();
    } finally {
      OutputProbe.swap(model, refs, OutputProbe.inverse(swaps));
    }
  }

  /**
   * Runs the model with each chosen weight temporarily set to {@code B A}: the output the rewritten
   * model must reproduce.
   */
  private Optional<OutputProbe> probeWithDenseProducts(
      Map<String, LowRankFactors> factors, Map<String, ConvForm> forms, NDManager scratch) {
    Map<NDArray, float[]> saved = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, LowRankFactors> e : factors.entrySet()) {
        Conv2d conv = convs.get(e.getKey());
        Block block = conv != null ? conv : linears.get(e.getKey());
        NDArray weight = block.getParameters().get("weight").getArray();
        if (weight.getDataType() != DataType.FLOAT32) {
          return Optional.empty();
        }
        FloatMatrix product =
            conv != null
                ? DjlConvolutions.channelProduct(
                    DjlConvolutions.geometry(conv),
                    forms.getOrDefault(e.getKey(), ConvForm.CHANNEL),
                    e.getValue())
                : e.getValue().product();
        saved.put(weight, weight.toFloatArray());
        weight.set(FloatBuffer.wrap(product.data()));
      }
      return OutputProbe.create(model, scratch);
    } finally {
      saved.forEach((weight, values) -> weight.set(FloatBuffer.wrap(values)));
    }
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

  private static Layer describe(String name, Linear linear, BlockReferences refs) {
    if (linear instanceof LowRankLinear low) {
      return Layer.linear(name, (int) low.getUnits(), (int) low.getInFeatures(), low.hasBias())
          .withLowRank(low.getRank());
    }
    Parameter weight = linear.getParameters().get("weight");
    Shape shape = weight.isInitialized() ? weight.getArray().getShape() : weight.getShape();
    boolean bias = linear.getParameters().contains("bias");
    Layer layer = Layer.linear(name, (int) shape.get(0), (int) shape.get(1), bias);
    if (linear.getClass() != Linear.class) {
      return layer.withIneligible(
          "it is a "
              + linear.getClass().getName()
              + ", a subclass of Linear whose forward lowrank does not know");
    }
    return obstacle(layer, linear, LowRankLinear.class, refs);
  }

  private static Layer obstacle(
      Layer layer, Block block, Class<?> replacement, BlockReferences refs) {
    if (!layer.factorizable()) {
      return layer;
    }
    return refs.obstacle(block, replacement).map(layer::withIneligible).orElse(layer);
  }
}
