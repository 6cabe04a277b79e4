package dev.lowrank.cli;

import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The latency options shared by the commands that evaluate: batch sizes, or none. */
public final class LatencyOptions {

  /** The largest batch size timed: larger batches would not fit in memory or in an array. */
  static final int MAX_BATCH_SIZE = 65_536;

  /** The option's name, as messages give it. */
  static final String OPTION = "--batch-sizes";

  @Option(
      names = OPTION,
      split = ",",
      splitSynopsisLabel = ",",
      paramLabel = "N",
      defaultValue = "1,8,64",
      description = "Batch sizes to time, each 1 to 65,536. Default: ${DEFAULT-VALUE}.")
  List<Integer> batchSizes;

  @Option(names = "--no-latency", description = "Skip the latency measurement.")
  boolean noLatency;

  /**
   * Returns the batch sizes to time.
   *
   * @return the sizes, empty when latency is skipped
   * @throws IllegalArgumentException naming --batch-sizes if a size is below 1 or above 65,536
   */
  public List<Integer> batchSizes() {
    if (noLatency) {
      return List.of();
    }
    for (int b : batchSizes) {
      if (b < 1 || b > MAX_BATCH_SIZE) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "--batch-sizes: %d is out of range; each batch size must be between 1 and %,d",
                b,
                MAX_BATCH_SIZE));
      }
    }
    return batchSizes;
  }
}
