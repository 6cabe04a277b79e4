package dev.lowrank.zoo.minilm;

import dev.lowrank.eval.latency.LatencySettings;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.io.InputFileException;
import dev.lowrank.io.TemporaryFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The end of {@code lowrank demo}: the {@code minilm} example in short, half of the encoder's
 * linear weights with plain SVD and with whitened truncation at the same ranks, on a few hundred
 * texts, latency at batch 1 only (a batch of 32 takes seconds per run). {@code lowrank zoo run
 * minilm} measures the whole table.
 */
public final class MiniLmDemo {

  /** The demo's share of the encoder's linear weights. */
  public static final double SHARE = 0.5;

  /** The demo's settings. */
  public static final MiniLmSettings SETTINGS =
      MiniLmSettings.builder()
          .optShares(List.of(SHARE))
          .optMethods(List.of(MiniLmMethod.PLAIN, MiniLmMethod.WHITENED))
          .optCalibrationTexts(64)
          .optEvaluationTexts(50, 100, 100)
          .optLatency(
              Optional.of(
                  LatencySettings.builder()
                      .optBatchSizes(List.of(1))
                      .optWarmup(Duration.ofMillis(200), 3)
                      .optBudget(Duration.ofSeconds(1))
                      .optIterations(10, 1000)
                      .build()))
          .build();

  private MiniLmDemo() {}

  /**
   * Runs the short comparison, the compressed models in a temporary directory removed afterwards.
   *
   * @param cacheRoot the lowrank cache root
   * @return the table: the original, plain and whitened
   * @throws IOException if the model's files or the texts cannot be read or fetched
   * @throws InputFileException if a model cannot be compressed, loaded or run
   */
  public static MiniLmReport run(Path cacheRoot) throws IOException, InputFileException {
    Path work = TemporaryFiles.createDirectory("lowrank-demo-minilm");
    try {
      return MiniLmComparison.run(SETTINGS, cacheRoot, work, Progress.none());
    } finally {
      TemporaryFiles.delete(work);
    }
  }
}
