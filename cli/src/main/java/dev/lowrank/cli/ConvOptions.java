package dev.lowrank.cli;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.ConvFormChoice;
import picocli.CommandLine.Option;

/**
 * The options that let a compressing command factorize convolutions too: {@code --conv} and {@code
 * --conv-form}. Without {@code --conv} only linear layers (and attention projections) are
 * factorized, as before convolutions were supported.
 */
public final class ConvOptions {

  @Option(
      names = "--conv",
      description =
          "Also factorize 2-D convolutions (off by default). Grouped and depthwise convolutions"
              + " stay dense; --rank/--ratio/--energy apply to the matrix of each one's form."
              + " With --calibration, the channel form is whitened by the Gram matrix of the"
              + " convolution's input patches.")
  boolean conv;

  @Option(
      names = "--conv-form",
      paramLabel = "channel|spatial|auto",
      defaultValue = "auto",
      description =
          "With --conv: channel (W as C_out x C_in*kh*kw: an r-filter conv, then a 1x1 conv),"
              + " spatial (W as C_in*kh x kw*C_out: a kh x 1 conv to r channels, then a 1 x kw"
              + " conv), or auto (per layer, the form with less error at the same weights; for"
              + " --energy, the one with fewer weights; with --calibration, the one with less"
              + " error on the data, and the channel form for --energy, --scope global and"
              + " --sequential). Default: ${DEFAULT-VALUE}.")
  ConvFormChoice form;

  /**
   * Returns whether {@code --conv} was given.
   *
   * @return {@code true} to compress convolutions
   */
  public boolean enabled() {
    return conv;
  }

  /**
   * Returns a spec with these options applied.
   *
   * @param spec the spec the policy options built
   * @return the spec, compressing convolutions in the chosen form when {@code --conv} is given
   * @throws IllegalArgumentException if {@code --conv-form} is given without {@code --conv}
   */
  public CompressionSpec apply(CompressionSpec spec) {
    if (!conv) {
      if (form != null && form != ConvFormChoice.AUTO) {
        throw new IllegalArgumentException("--conv-form needs --conv");
      }
      return spec;
    }
    return spec.toBuilder().optConv(true).optConvForm(form).build();
  }
}
