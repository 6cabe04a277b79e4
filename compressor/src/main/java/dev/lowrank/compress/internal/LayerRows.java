package dev.lowrank.compress.internal;

import dev.lowrank.data.Tensor;
import dev.lowrank.format.ConvGeometry;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerKind;
import dev.lowrank.linalg.GramAccumulator;
import dev.lowrank.linalg.internal.DoubleKernels;
import java.util.Arrays;
import java.util.Optional;

/**
 * One observed input of a layer as its statistics take it: the rows {@code x} whose Gram matrix
 * {@code sum x x^T} whitens the layer's matrix. For a linear layer they are the input's rows (its
 * last axis the {@code m} inputs), positions the padding mask marks left out; for a convolution
 * they are the input's patches ({@link PatchMatrix}: {@code C_in kh kw} values per output position,
 * the columns of the channel form), unfolded chunk by chunk when they are added, and the mask does
 * not apply (a convolution's positions are pixels, not tokens).
 */
final class LayerRows {

  private final float[] values;
  private final long[] shape;
  private final int width;
  private final Optional<PatchMatrix> patches;

  private LayerRows(float[] values, long[] shape, int width, Optional<PatchMatrix> patches) {
    this.values = values;
    this.shape = shape;
    this.width = width;
    this.patches = patches;
  }

  /**
   * Takes one input of a layer.
   *
   * @param layer the layer
   * @param input what the layer received (a convolution: {@code [N, C_in, H, W]})
   * @param mask the batch's padding mask, if any (ignored for convolutions)
   * @return the rows
   * @throws IllegalStateException if the input does not fit the layer
   */
  static LayerRows of(Layer layer, Tensor input, Optional<Tensor> mask) {
    if (layer.kind() == LayerKind.CONV2D) {
      ConvGeometry g = layer.conv().orElseThrow();
      PatchMatrix p;
      try {
        p = PatchMatrix.of(g, input.shape());
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(
            "Convolution " + layer.name() + " received an input of shape " + input.shapeText(), e);
      }
      return new LayerRows(input.floats(), input.shape(), layer.inFeatures(), Optional.of(p));
    }
    int m = layer.inFeatures();
    if (input.dimensions() == 0 || input.dim(input.dimensions() - 1) != m) {
      throw new IllegalStateException(
          "Layer "
              + layer.name()
              + " ("
              + layer.shape()
              + ") received an input of shape "
              + input.shapeText());
    }
    float[] rows = CalibrationCapture.rows(input, mask, m);
    return new LayerRows(rows, new long[] {rows.length / m, m}, m, Optional.empty());
  }

  /** The rows, {@code m} values each (a convolution: its patches, {@code N H_out W_out}). */
  long rows() {
    return patches.map(PatchMatrix::rows).orElse((long) values.length / width);
  }

  /**
   * What this input counts toward the calibration's tokens: its rows, or a convolution's images.
   */
  long tokens() {
    return patches.map(p -> (long) p.images()).orElse(rows());
  }

  /** Adds the rows to a layer's statistics. */
  void addTo(GramAccumulator stats) {
    if (stats.width() != width) {
      throw new IllegalArgumentException(
          "Rows of width " + width + " do not fit statistics of width " + stats.width());
    }
    if (patches.isEmpty()) {
      stats.add(values, 0, values.length / width);
    } else {
      patches.get().forEachChunk(values, (chunk, count) -> stats.add(chunk, 0, count));
    }
  }

  /**
   * Adds the rows of {@code compressed} to {@code gram} and {@code sum x_o x_c^T} (column-major) to
   * {@code cross}, where {@code original} holds the same positions in the original model.
   */
  static void addMoments(
      LayerRows original, LayerRows compressed, GramAccumulator gram, double[] cross) {
    if (!Arrays.equals(original.shape, compressed.shape) || original.width != compressed.width) {
      throw new IllegalStateException(
          "The layer's input changed shape: "
              + Arrays.toString(original.shape)
              + " in the original model, "
              + Arrays.toString(compressed.shape)
              + " in the compressed one");
    }
    int m = original.width;
    if (original.patches.isEmpty()) {
      int count = original.values.length / m;
      gram.add(compressed.values, 0, count);
      DoubleKernels.addCross(original.values, compressed.values, count, m, cross);
      return;
    }
    PatchMatrix p = original.patches.get();
    int chunk = p.chunkRows();
    float[] xo = new float[Math.multiplyExact(chunk, m)];
    float[] xc = new float[xo.length];
    for (long first = 0; first < p.rows(); first += chunk) {
      int count = (int) Math.min(chunk, p.rows() - first);
      p.unfold(original.values, first, count, xo);
      p.unfold(compressed.values, first, count, xc);
      gram.add(xc, 0, count);
      DoubleKernels.addCross(xo, xc, count, m, cross);
    }
  }

  /** Whether another input holds the same values in the same shape. */
  boolean sameAs(LayerRows other) {
    return Arrays.equals(shape, other.shape) && Arrays.equals(values, other.values);
  }
}
