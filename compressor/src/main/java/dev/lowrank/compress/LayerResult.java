package dev.lowrank.compress;

import dev.lowrank.format.ConvForm;
import dev.lowrank.format.Layer;
import dev.lowrank.linalg.SvdAlgorithm;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One layer's entry in a {@link CompressionResult}: the layer as the input model describes it, and
 * what the compressor did with it.
 *
 * <p>Parameter accounting is exact: a dense layer counts {@code n m}, a factorized one {@code r (n
 * + m)} (a convolution: {@code r (rows + cols)} of its form's matrix, see {@link ConvForm}), and
 * both add {@code n} when the layer has a bias (the bias is always kept). A layer that stays dense
 * is unchanged, so its energy kept is 1 and its error 0.
 *
 * @param layer the layer in the input model
 * @param status what happened to the layer
 * @param rank the rank of the factors, when the layer is factorized (or was already)
 * @param reason why the layer stayed dense, when it did
 * @param parametersBefore parameters of the layer in the input
 * @param parametersAfter parameters of the layer in the output
 * @param energyKept {@code sum_{i<=r} s_i^2 / ||W||_F^2}, 1 for a dense layer
 * @param relativeError {@code ||W - B A||_F / ||W||_F}, measured on the written factors; 0 for a
 *     dense layer
 * @param svd the SVD algorithm that produced the factors, when one ran
 * @param data how the factors fit the calibration data, for a data-aware compression
 * @param form the form of a factorized convolution's factors (chosen by this run, or already in the
 *     input), empty for other layers
 */
public record LayerResult(
    Layer layer,
    LayerStatus status,
    OptionalInt rank,
    Optional<String> reason,
    long parametersBefore,
    long parametersAfter,
    double energyKept,
    double relativeError,
    Optional<SvdAlgorithm> svd,
    Optional<DataFit> data,
    Optional<ConvForm> form) {

  /**
   * Describes a layer without calibration figures or convolution factors.
   *
   * @param layer the layer in the input model
   * @param status what happened to the layer
   * @param rank the rank of the factors
   * @param reason why the layer stayed dense
   * @param parametersBefore parameters in the input
   * @param parametersAfter parameters in the output
   * @param energyKept the energy share kept
   * @param relativeError the relative error of the factors
   * @param svd the SVD algorithm that ran
   */
  public LayerResult(
      Layer layer,
      LayerStatus status,
      OptionalInt rank,
      Optional<String> reason,
      long parametersBefore,
      long parametersAfter,
      double energyKept,
      double relativeError,
      Optional<SvdAlgorithm> svd) {
    this(
        layer,
        status,
        rank,
        reason,
        parametersBefore,
        parametersAfter,
        energyKept,
        relativeError,
        svd,
        Optional.empty(),
        layer.form());
  }

  /**
   * Returns the layer's name.
   *
   * @return {@code layer().name()}
   */
  public String name() {
    return layer.name();
  }

  /**
   * Returns whether the layer was factorized by this run.
   *
   * @return {@code true} for {@link LayerStatus#FACTORIZED}
   */
  public boolean factorized() {
    return status == LayerStatus.FACTORIZED;
  }
}
