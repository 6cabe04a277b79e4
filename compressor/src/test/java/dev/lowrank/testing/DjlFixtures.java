package dev.lowrank.testing;

import ai.djl.Model;
import ai.djl.ndarray.types.Shape;
import dev.lowrank.datasets.Digits;
import dev.lowrank.datasets.training.ClassifierTraining;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Real DJL models for tests: the {@link TestBlocks} trees trained on the bundled UCI digits (a few
 * epochs, seeded), saved once per test JVM as DJL model directories.
 */
public final class DjlFixtures {

  private static final Path ROOT = Path.of("target", "test-models");

  private DjlFixtures() {}

  /**
   * Returns a trained model directory of a variant, training it on first use.
   *
   * @param variant the architecture
   * @return the directory holding serving.properties and the .params file
   */
  public static synchronized Path trained(TestBlocks.Variant variant) {
    Path dir = ROOT.resolve(variant.name().toLowerCase(java.util.Locale.ROOT));
    if (Files.isRegularFile(dir.resolve("serving.properties"))) {
      return dir;
    }
    try {
      Files.createDirectories(dir);
      try (Model model = Model.newInstance("digits", "PyTorch")) {
        model.setBlock(TestBlocks.build(variant));
        ClassifierTraining.fit(
            model,
            Digits.train(),
            new Shape(Digits.FEATURES),
            new ClassifierTraining.Settings(6, 32, 2e-3f, 11));
        model.setProperty("Epoch", "0");
        model.save(dir, "digits");
      }
      Properties p = new Properties();
      p.setProperty("engine", "PyTorch");
      p.setProperty("blockFactory", TestBlocks.Factory.class.getName());
      p.setProperty("variant", variant.name());
      p.setProperty("option.modelName", "digits");
      try (OutputStream out = Files.newOutputStream(dir.resolve("serving.properties"))) {
        p.store(out, "test fixture");
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ai.djl.translate.TranslateException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Copies a fixture so that a test can modify it.
   *
   * @param variant the architecture
   * @param target an empty or absent directory
   * @return the copy
   */
  public static Path copy(TestBlocks.Variant variant, Path target) {
    Path source = trained(variant);
    try {
      Files.createDirectories(target);
      try (var files = Files.list(source)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.copy(f, target.resolve(f.getFileName()));
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
