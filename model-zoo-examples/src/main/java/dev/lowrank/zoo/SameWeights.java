package dev.lowrank.zoo;

import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.TruncationMethod;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;

/**
 * Plain and whitened truncation side by side at the same weights: the whitened spec gives every
 * layer the rank (or the density) the plain compression gave it, so the two models hold exactly as
 * many parameters and differ only in which rank-r factors they keep.
 */
public final class SameWeights {

  /** The training samples an example calibrates on. */
  public static final int CALIBRATION_SAMPLES = 512;

  private SameWeights() {}

  /**
   * Returns the spec of the whitened compression at the plain one's ranks.
   *
   * @param plain what the plain compression did
   * @param calibration the calibration data
   * @return the spec: one rule per layer, then the plain policy for anything else
   */
  public static CompressionSpec whitened(CompressionResult plain, Calibration calibration) {
    CompressionSpec.Builder b =
        CompressionSpec.builder()
            .setPolicy(RankPolicy.dense())
            .optCalibration(calibration)
            .optMethod(TruncationMethod.WHITENED);
    for (LayerResult l : plain.layers()) {
      if (l.factorized()) {
        b.optRule(l.name(), RankPolicy.rank(l.rank().getAsInt()));
      }
    }
    return b.build();
  }

  /**
   * Returns an example's calibration data: the first {@value #CALIBRATION_SAMPLES} samples of its
   * training split, never its test split.
   *
   * @param example the example
   * @return the calibration
   * @throws java.io.IOException if the data cannot be read
   */
  public static Calibration calibration(Example example) throws java.io.IOException {
    Dataset train = example.trainData(CALIBRATION_SAMPLES).withoutLabels();
    return Calibration.builder()
        .setData(train.withName(example.name() + " training split"))
        .optSamples(CALIBRATION_SAMPLES)
        .optInputShape(SampleShape.of(example.sampleShape().getShape()))
        .build();
  }
}
