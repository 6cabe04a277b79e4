package dev.lowrank.zoo;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.nn.BlockFactory;
import ai.djl.translate.TranslateException;
import dev.lowrank.datasets.training.ClassifierTraining;
import dev.lowrank.io.InputFileException;
import dev.lowrank.io.OutputFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Trains zoo examples with DJL and caches each trained model as a DJL model directory, so that a
 * second run loads it instead of training again. The cache key covers the factory, its arguments
 * and the training plan; change any and the model is trained anew. (An architecture change inside a
 * factory must change its arguments too: examples carry a {@code revision} argument for that.)
 *
 * <p>The cache lives in {@code $LOWRANK_CACHE}, else {@code $XDG_CACHE_HOME/lowrank}, else {@code
 * ~/.cache/lowrank}.
 */
public final class ExampleTrainer {

  private ExampleTrainer() {}

  /**
   * Returns the cache root.
   *
   * @return the directory where trained models and downloaded data are kept
   */
  public static Path cacheRoot() {
    String explicit = System.getenv("LOWRANK_CACHE");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("lowrank");
  }

  /**
   * Returns the trained model directory of an example, training it first if the cache lacks it.
   *
   * @param example the example
   * @return a DJL model directory (serving.properties and {@code <name>-0000.params})
   * @throws IOException if the model cannot be written
   */
  public static Path trainOrLoad(DjlExample example) throws IOException {
    return trainOrLoad(example, example.training().orElseThrow(), cacheRoot());
  }

  /**
   * Returns the trained model directory of an example under a given plan and cache root.
   *
   * @param example the example
   * @param plan the training plan (tests use short ones)
   * @param cacheRoot the cache root
   * @return the model directory
   * @throws IOException if the model cannot be written
   */
  public static Path trainOrLoad(DjlExample example, TrainingPlan plan, Path cacheRoot)
      throws IOException {
    Path dir = cachedDirectory(example, plan, cacheRoot);
    if (Files.isRegularFile(dir.resolve("serving.properties"))) {
      return dir;
    }
    try {
      OutputFiles.writeDirectory(dir, tmp -> train(example, plan, tmp));
    } catch (InputFileException e) {
      throw new IllegalStateException(e);
    }
    return dir;
  }

  /**
   * Returns the trained model of an example if the cache holds it, without training.
   *
   * @param example the example
   * @param plan the training plan
   * @param cacheRoot the cache root
   * @return the model directory, if trained before
   */
  public static java.util.Optional<Path> cached(
      DjlExample example, TrainingPlan plan, Path cacheRoot) {
    Path dir = cachedDirectory(example, plan, cacheRoot);
    return Files.isRegularFile(dir.resolve("serving.properties"))
        ? java.util.Optional.of(dir)
        : java.util.Optional.empty();
  }

  private static Path cachedDirectory(DjlExample example, TrainingPlan plan, Path cacheRoot) {
    Map<String, String> args = new TreeMap<>(example.arguments());
    String key =
        Integer.toHexString(
            (example.blockFactory().getName() + args + example.sampleShape() + plan.cacheKey())
                .hashCode());
    return cacheRoot.resolve("zoo").resolve(example.name() + "-" + key);
  }

  private static void train(DjlExample example, TrainingPlan plan, Path out) throws IOException {
    BlockFactory factory = newFactory(example.blockFactory());
    try (Model model = Model.newInstance(example.name(), Device.cpu(), "PyTorch")) {
      model.setBlock(factory.newBlock(model, out, example.arguments()));
      try {
        ClassifierTraining.fit(
            model,
            example.trainData(plan.trainSamples()),
            example.sampleShape(),
            new ClassifierTraining.Settings(
                plan.epochs(), plan.batchSize(), plan.learningRate(), plan.seed()));
      } catch (TranslateException e) {
        throw new IOException("Training " + example.name() + " failed: " + e.getMessage(), e);
      }
      model.setProperty("Epoch", "0");
      model.save(out, example.name());
      Properties props = new Properties();
      props.setProperty("engine", "PyTorch");
      props.setProperty("blockFactory", example.blockFactory().getName());
      props.setProperty("option.modelName", example.name());
      example.arguments().forEach(props::setProperty);
      try (OutputStream os = Files.newOutputStream(out.resolve("serving.properties"))) {
        props.store(os, "lowrank zoo example " + example.name() + ", " + plan);
      }
    }
  }

  private static BlockFactory newFactory(Class<? extends BlockFactory> type) {
    try {
      return type.getDeclaredConstructor().newInstance();
    } catch (InstantiationException
        | IllegalAccessException
        | InvocationTargetException
        | NoSuchMethodException e) {
      throw new IllegalStateException("Cannot create " + type.getName(), e);
    }
  }
}
