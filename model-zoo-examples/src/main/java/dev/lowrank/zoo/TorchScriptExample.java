package dev.lowrank.zoo;

import ai.djl.ndarray.types.Shape;
import dev.lowrank.data.Dataset;
import dev.lowrank.datasets.Digits;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Optional;

/**
 * A TorchScript model trained on the digits with PyTorch and shipped with lowrank (the fixtures of
 * {@code datasets/src/main/resources/dev/lowrank/datasets/torchscript}); nothing to train.
 */
public final class TorchScriptExample implements Example {

  private static final String RESOURCES = "/dev/lowrank/datasets/torchscript/";

  private final String file;
  private final String description;
  private final Shape sampleShape;

  /**
   * Describes a shipped fixture.
   *
   * @param file the fixture's file name, e.g. {@code mlp_scripted.pt}
   * @param description the architecture in a line
   * @param sampleShape the shape of one input sample
   */
  TorchScriptExample(String file, String description, Shape sampleShape) {
    this.file = file;
    this.description = description;
    this.sampleShape = sampleShape;
  }

  @Override
  public String name() {
    return "torchscript-" + file.replace(".pt", "").replace('_', '-');
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public String dataset() {
    return "UCI digits, 1797 8x8 images (bundled, CC BY 4.0)";
  }

  @Override
  public Shape sampleShape() {
    return sampleShape;
  }

  @Override
  public Dataset trainData(int limit) {
    return first(Digits.train(), limit);
  }

  @Override
  public Dataset testData(int limit) {
    return first(Digits.test(), limit);
  }

  @Override
  public Optional<TrainingPlan> training() {
    return Optional.empty();
  }

  /**
   * Copies the shipped file into the cache (once) and returns it there, so that it can be read as a
   * file.
   */
  @Override
  public Path model(Path cacheRoot) throws IOException {
    Path target = cacheRoot.resolve("zoo").resolve("torchscript").resolve(file);
    try (InputStream in = TorchScriptExample.class.getResourceAsStream(RESOURCES + file)) {
      if (in == null) {
        throw new IOException(file + " is missing from the lowrank-datasets jar; rebuild lowrank");
      }
      byte[] bytes = in.readAllBytes();
      if (Files.isRegularFile(target) && Arrays.equals(Files.readAllBytes(target), bytes)) {
        return target;
      }
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), ".fixture", ".pt");
      Files.write(tmp, bytes);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    return target;
  }

  private static Dataset first(Dataset data, int limit) {
    int n = Math.min(limit, data.size());
    int[] rows = new int[n];
    for (int i = 0; i < n; i++) {
      rows[i] = i;
    }
    return n == data.size() ? data : data.select(rows);
  }
}
