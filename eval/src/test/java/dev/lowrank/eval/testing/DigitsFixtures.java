package dev.lowrank.eval.testing;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Dataset;
import dev.lowrank.datasets.Digits;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Real models on real data for the eval tests: a DJL MLP trained on the bundled digits (seeded, a
 * few seconds), its compressed variants, and the digits test split as a {@link Dataset}.
 *
 * <p>Trained models are kept under {@code $LOWRANK_CACHE/eval-fixtures} (the build sets it to the
 * checkout's {@code .cache}; else {@code target/test-fixtures}), keyed by their recipe, so each is
 * trained once; compressed variants are made afresh in each test JVM.
 */
public final class DigitsFixtures {

  /** The hidden widths of the fixture MLP. */
  public static final String HIDDEN = "64,32";

  private static final int EPOCHS = 12;
  private static final int BATCH = 32;
  private static final float LEARNING_RATE = 3e-3f;
  private static final long SEED = 42;
  private static final String RECIPE = "v1-" + HIDDEN.replace(',', 'x') + "-" + EPOCHS + "-" + SEED;

  private static final Map<String, Path> CACHE = new HashMap<>();

  private DigitsFixtures() {}

  /**
   * Returns the fixture root.
   *
   * @return the cache directory for eval test models
   */
  public static Path root() {
    String cache = System.getenv("LOWRANK_CACHE");
    if (cache != null && !cache.isBlank()) {
      return Path.of(cache, "eval-fixtures").toAbsolutePath();
    }
    return Path.of("target", "test-fixtures").toAbsolutePath();
  }

  /**
   * Returns the trained digits MLP (64-64-32-10), a DJL model directory.
   *
   * @return the model directory
   * @throws Exception if training or saving fails
   */
  public static synchronized Path mlp() throws Exception {
    Path cached = CACHE.get("mlp");
    if (cached != null) {
      return cached;
    }
    Path dir = root().resolve("mlp-" + RECIPE);
    if (!Files.isRegularFile(dir.resolve("serving.properties"))) {
      Path tmp = root().resolve("mlp-" + RECIPE + ".tmp");
      deleteRecursively(tmp);
      Files.createDirectories(tmp);
      train(tmp);
      deleteRecursively(dir);
      Files.move(tmp, dir);
    }
    CACHE.put("mlp", dir);
    return dir;
  }

  /**
   * Returns the fixture MLP compressed with a policy (cached per policy).
   *
   * @param policy the rank policy
   * @return the compressed model directory
   * @throws Exception if compression fails
   */
  public static synchronized Path compressed(RankPolicy policy) throws Exception {
    String key = policy.describe().replace(' ', '-');
    Path cached = CACHE.get(key);
    if (cached != null) {
      return cached;
    }
    Path dir = root().resolve("mlp-" + RECIPE + "-" + key);
    deleteRecursively(dir);
    Compressor.compress(mlp(), dir, CompressionSpec.builder().setPolicy(policy).build());
    CACHE.put(key, dir);
    return dir;
  }

  /**
   * Returns an untrained MLP that takes {@code 1x8x8} inputs (a flatten block first), saved with
   * its input shape; for input-shape tests.
   *
   * @return the model directory
   * @throws Exception if saving fails
   */
  public static synchronized Path imageShapedMlp() throws Exception {
    Path cached = CACHE.get("image");
    if (cached != null) {
      return cached;
    }
    Path dir = root().resolve("image-mlp-v1");
    if (!Files.isRegularFile(dir.resolve("serving.properties"))) {
      Files.createDirectories(dir);
      Engine.getInstance().setRandomSeed((int) SEED);
      try (Model model = Model.newInstance("image-mlp", Device.cpu(), "PyTorch")) {
        model.setBlock(TestMlpFactory.mlp(new int[] {16}, 10, true));
        model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 8, 8));
        save(model, dir, Map.of("hidden", "16", "outputs", "10", "flatten", "true"));
      }
    }
    CACHE.put("image", dir);
    return dir;
  }

  /**
   * Returns the digits test split (360 samples) as a data set.
   *
   * @return the labeled samples
   */
  public static Dataset digitsTest() {
    return toDataset("digits-test", Digits.test());
  }

  /**
   * Converts a labeled data set of the datasets module.
   *
   * @param name the name
   * @param data the samples
   * @return the eval data set
   */
  public static Dataset toDataset(String name, Dataset data) {
    return data.withName(name);
  }

  private static void train(Path out) throws Exception {
    Engine.getInstance().setRandomSeed((int) SEED);
    int[] hidden = {64, 32};
    try (Model model = Model.newInstance("mlp", Device.cpu(), "PyTorch")) {
      model.setBlock(TestMlpFactory.mlp(hidden, Digits.CLASSES, false));
      DefaultTrainingConfig config =
          new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
              .optOptimizer(
                  Optimizer.adam().optLearningRateTracker(Tracker.fixed(LEARNING_RATE)).build())
              .optDevices(new Device[] {Device.cpu()});
      Dataset train = Digits.train();
      try (Trainer trainer = model.newTrainer(config);
          NDManager data = model.getNDManager().newSubManager()) {
        NDArray x = data.create(train.flatFeatures(), new Shape(train.size(), Digits.FEATURES));
        NDArray y = data.create(train.labels().orElseThrow()).toType(DataType.FLOAT32, false);
        ArrayDataset dataset =
            new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(BATCH, true).build();
        trainer.initialize(new Shape(BATCH, Digits.FEATURES));
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
          for (Batch batch : trainer.iterateDataset(dataset)) {
            try (batch) {
              EasyTrain.trainBatch(trainer, batch);
              trainer.step();
            }
          }
        }
      }
      save(model, out, Map.of("hidden", HIDDEN, "outputs", "10"));
    }
  }

  private static void save(Model model, Path dir, Map<String, String> args) throws IOException {
    model.setProperty("Epoch", "0");
    model.save(dir, model.getName());
    Properties props = new Properties();
    props.setProperty("engine", "PyTorch");
    props.setProperty("blockFactory", TestMlpFactory.class.getName());
    props.setProperty("option.modelName", model.getName());
    args.forEach(props::setProperty);
    try (OutputStream os = Files.newOutputStream(dir.resolve("serving.properties"))) {
      props.store(os, "lowrank eval test fixture");
    }
  }

  /**
   * Deletes a file or directory tree if it exists.
   *
   * @param path the path
   * @throws IOException if deleting fails
   */
  public static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (var walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
