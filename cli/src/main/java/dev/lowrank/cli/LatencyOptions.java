package dev.lowrank.cli;

import java.util.List;
import picocli.CommandLine.Option;

/** The latency options shared by the commands that evaluate: batch sizes, or none. */
public final class LatencyOptions {

  @Option(
      names = "--batch-sizes",
      split = ",",
      paramLabel = "N,N,...",
      defaultValue = "1,8,64",
      description = "Batch sizes to time. Default: ${DEFAULT-VALUE}.")
  List<Integer> batchSizes;

  @Option(names = "--no-latency", description = "Skip the latency measurement.")
  boolean noLatency;

  /**
   * Returns the batch sizes to time.
   *
   * @return the sizes, empty when latency is skipped
   */
  public List<Integer> batchSizes() {
    return noLatency ? List.of() : batchSizes;
  }
}
