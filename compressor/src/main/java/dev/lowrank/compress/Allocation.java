package dev.lowrank.compress;

import java.util.Locale;

/**
 * How a global budget ({@link Scope#GLOBAL}) is spread over the layers.
 *
 * <ul>
 *   <li>{@link #SPECTRUM}: by the singular values, each one's share of its layer's energy per
 *       weight it costs (with calibration: of the layer's output energy on the data, from the
 *       whitened spectrum, no extra passes).
 *   <li>{@link #SENSITIVITY}: by what truncating each layer does to the model's output on the
 *       calibration data: each layer is truncated alone at a few ranks (the weights replaced in
 *       place, no new SVD) on a bounded sample, the output error is measured, and each singular
 *       value's gain is weighted by how much the layer's output error moves the model's.
 * </ul>
 */
public enum Allocation {
  /** From the spectra alone. */
  SPECTRUM,
  /** From measured output sensitivity. */
  SENSITIVITY;

  /**
   * Returns the lower-case name the CLI and manifests use.
   *
   * @return {@code spectrum} or {@code sensitivity}
   */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
