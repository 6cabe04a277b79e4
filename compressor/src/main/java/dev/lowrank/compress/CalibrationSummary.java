package dev.lowrank.compress;

import java.util.List;
import java.util.Optional;

/**
 * What a data-aware compression was calibrated on, as reports and manifests record it.
 *
 * @param source the calibration file's name, or a description of in-memory data
 * @param sha256 SHA-256 of the calibration file, empty for in-memory data
 * @param samples the samples the model was run on
 * @param tokens the positions that entered the statistics: those the mask keeps when there is one,
 *     else the rows the first layer (in call order) received (a convolution: the images, not the
 *     patches)
 * @param mask the input whose zeros marked padding, empty when none was used
 * @param sharedInputs groups of layers fed the same tensor (e.g. query, key and value), which share
 *     one statistic; each group in call order
 * @param notReached observed layers whose forward the model never called on the data (they were
 *     truncated without data)
 */
public record CalibrationSummary(
    String source,
    Optional<String> sha256,
    int samples,
    long tokens,
    Optional<String> mask,
    List<List<String>> sharedInputs,
    List<String> notReached) {

  /** Copies the lists. */
  public CalibrationSummary {
    sharedInputs = sharedInputs.stream().map(List::copyOf).toList();
    notReached = List.copyOf(notReached);
  }
}
