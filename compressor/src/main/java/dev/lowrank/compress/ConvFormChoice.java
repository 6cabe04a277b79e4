package dev.lowrank.compress;

import dev.lowrank.format.ConvForm;
import java.util.Locale;
import java.util.Optional;

/**
 * Which {@link ConvForm} the compressor gives a convolution's factors: one form for every
 * convolution, or per layer the form with less error at the same weights.
 */
public enum ConvFormChoice {
  /** Every convolution in the channel form (AIMET's weight SVD). */
  CHANNEL,
  /** Every convolution in the spatial form (Jaderberg et al. 2014), where the format writes it. */
  SPATIAL,
  /**
   * Per layer, the form whose truncation has the smaller relative error at the same weights (for
   * {@code --rank R}: the weights of the channel form at rank {@code R}; for {@code --ratio}: the
   * ratio's budget); for {@code --energy}, the form that reaches the energy with fewer weights.
   */
  AUTO;

  /**
   * Returns the form this choice fixes, empty for {@link #AUTO}.
   *
   * @return the fixed form
   */
  public Optional<ConvForm> fixed() {
    return switch (this) {
      case CHANNEL -> Optional.of(ConvForm.CHANNEL);
      case SPATIAL -> Optional.of(ConvForm.SPATIAL);
      case AUTO -> Optional.empty();
    };
  }

  /**
   * Returns the name the CLI and the manifest use: {@code channel}, {@code spatial} or {@code
   * auto}.
   *
   * @return the name
   */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
