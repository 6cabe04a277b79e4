package dev.lowrank.zoo.minilm;

import dev.lowrank.compress.Allocation;
import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.Scope;
import dev.lowrank.compress.TruncationMethod;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the {@code minilm} example compresses the encoder at a share {@code X} of its linear weights:
 * the CLI's {@code compress --ratio X} with one of the truncations and rank allocations of the
 * compressor, plain or calibrated on the same texts. Declared in the order the example runs them:
 * those that reuse the calibration statistics first, sequential fitting (which runs the model again
 * for every layer input) last.
 */
public enum MiniLmMethod {
  /** {@code --ratio X --method plain}: the SVD of each {@code W}, the same share per layer. */
  PLAIN("plain", "plain SVD, the same share per layer"),
  /**
   * {@code --ratio X --calibration ...}: the SVD of {@code W C} (SVD-LLM), the same ranks as plain.
   */
  WHITENED("whitened", "whitened, the same share per layer"),
  /**
   * {@code --ratio X --scope global --calibration ...}: whitened, one budget spread by the whitened
   * spectra.
   */
  GLOBAL("global", "whitened, one global budget spread by the whitened spectra"),
  /**
   * {@code --ratio X --scope global --allocation sensitivity --calibration ...}: whitened, one
   * budget spread by measured output sensitivity.
   */
  SENSITIVITY("sensitivity", "whitened, one global budget spread by measured sensitivity"),
  /**
   * {@code --ratio X --calibration ... --sequential}: whitened at the same share per layer, each
   * layer fitted in call order to the original's output from the inputs it gets once the earlier
   * layers are compressed.
   */
  SEQUENTIAL("sequential", "whitened and sequential, the same share per layer");

  private final String cliName;
  private final String description;

  MiniLmMethod(String cliName, String description) {
    this.cliName = cliName;
    this.description = description;
  }

  /**
   * Returns the name the CLI's {@code --methods} takes and the table shows.
   *
   * @return e.g. {@code whitened}
   */
  public String cliName() {
    return cliName;
  }

  /**
   * Returns what the method does, in one line.
   *
   * @return the description
   */
  public String description() {
    return description;
  }

  /**
   * Returns whether the method needs the calibration texts.
   *
   * @return {@code false} for {@link #PLAIN} only
   */
  public boolean calibrated() {
    return this != PLAIN;
  }

  /**
   * Returns the compression spec of this method at a share of the encoder's linear weights.
   *
   * @param share the share, in (0, 1): per layer for the uniform methods, of the layers' dense
   *     total for the global ones
   * @param calibration the calibration texts (ignored by {@link #PLAIN}); one instance for every
   *     spec, so that its statistics are computed once
   * @return the spec
   */
  public CompressionSpec spec(double share, Calibration calibration) {
    CompressionSpec.Builder b = CompressionSpec.builder().setPolicy(RankPolicy.ratio(share));
    if (this == PLAIN) {
      return b.optMethod(TruncationMethod.PLAIN).build();
    }
    b.optCalibration(calibration).optMethod(TruncationMethod.WHITENED);
    switch (this) {
      case SEQUENTIAL -> b.optSequential(true);
      case GLOBAL -> b.optScope(Scope.GLOBAL).optAllocation(Allocation.SPECTRUM);
      case SENSITIVITY -> b.optScope(Scope.GLOBAL).optAllocation(Allocation.SENSITIVITY);
      default -> {}
    }
    return b.build();
  }

  /**
   * Returns the method of a CLI name.
   *
   * @param name e.g. {@code global}
   * @return the method
   * @throws IllegalArgumentException naming the methods if there is none of that name
   */
  public static MiniLmMethod of(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (MiniLmMethod m : values()) {
      if (m.cliName.equals(n)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "'"
            + name
            + "' is not a method; use "
            + Arrays.stream(values()).map(MiniLmMethod::cliName).collect(Collectors.joining(", ")));
  }
}
