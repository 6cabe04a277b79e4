package dev.lowrank.compress.internal;

import dev.lowrank.format.ConvForm;
import dev.lowrank.format.ConvGeometry;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerKind;
import dev.lowrank.linalg.ConvKernels;
import dev.lowrank.linalg.FloatMatrix;
import java.util.Optional;

/**
 * The matrix a layer's weight is truncated as: the layer's own {@code n x m}, or for a convolution
 * the arrangement one {@link ConvForm} defines.
 *
 * @param form the convolution form, empty for a linear layer
 * @param rows the rows of the matrix
 * @param cols its columns
 */
record MatrixForm(Optional<ConvForm> form, int rows, int cols) {

  /** The matrix of a layer that is not a convolution, or a convolution's channel form. */
  static MatrixForm plain(Layer layer) {
    if (layer.kind() == LayerKind.CONV2D) {
      return of(layer, ConvForm.CHANNEL);
    }
    return new MatrixForm(Optional.empty(), layer.outFeatures(), layer.inFeatures());
  }

  /** The matrix of a convolution in a form. */
  static MatrixForm of(Layer layer, ConvForm form) {
    ConvGeometry g = layer.conv().orElseThrow();
    return new MatrixForm(Optional.of(form), form.rows(g), form.cols(g));
  }

  /** Arranges the weight {@link dev.lowrank.format.SourceModel#readWeight} returned. */
  FloatMatrix arrange(Layer layer, FloatMatrix weight) {
    if (form.isEmpty() || form.get() == ConvForm.CHANNEL) {
      return weight;
    }
    ConvGeometry g = layer.conv().orElseThrow();
    return ConvKernels.channelToSpatial(
        weight, g.inChannels() / g.groups(), g.kernelHeight(), g.kernelWidth());
  }

  /** {@code min(rows, cols)}, the largest rank. */
  int maxRank() {
    return Math.min(rows, cols);
  }

  /** {@code rows + cols}, the weights one more rank costs. */
  long rankCost() {
    return (long) rows + cols;
  }

  /** The weights of the dense matrix, {@code rows cols}. */
  long denseWeights() {
    return (long) rows * cols;
  }

  /** {@code " (spatial form)"} for a convolution form, empty otherwise. */
  String suffix() {
    return form.map(f -> " (" + f.label() + " form)").orElse("");
  }
}
