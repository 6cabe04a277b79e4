package dev.lowrank.compress.internal;

import dev.lowrank.format.ConvGeometry;
import java.util.Arrays;

/**
 * The input patches of a 2-D convolution as the rows of a matrix ({@code im2col}): one row per
 * output position of every image, {@code C_in kh kw} values in the order {@code (c, i, j)} (input
 * channel, kernel row, kernel column), zeros where the kernel reaches into the padding. That is the
 * column order of the channel-form matrix {@code C_out x (C_in kh kw)}, so {@code y = W_c p + b} at
 * each position, and the rows are {@code torch.nn.functional.unfold(x, kernel, dilation, padding,
 * stride)} transposed to {@code [N L, C_in kh kw]}.
 *
 * <p>A batch's patch matrix is {@code kh kw / (stride_h stride_w)} times larger than its input, so
 * it is produced in chunks of at most {@link #CHUNK_VALUES} values ({@link #forEachChunk}); nothing
 * holds a whole batch's patches.
 */
final class PatchMatrix {

  /** The largest chunk {@link #forEachChunk} hands over, in float values (16 MB). */
  static final int CHUNK_VALUES = 1 << 22;

  /** Receives consecutive rows of the patch matrix. */
  @FunctionalInterface
  interface ChunkSink {
    /**
     * Receives rows.
     *
     * @param rows row-major patches, {@link #width()} values each (valid during the call only)
     * @param count how many rows the chunk holds (the array may be longer)
     */
    void accept(float[] rows, int count);
  }

  private final ConvGeometry g;
  private final int images;
  private final int height;
  private final int width;
  private final int outHeight;
  private final int outWidth;

  private PatchMatrix(ConvGeometry g, int images, int height, int width) {
    this.g = g;
    this.images = images;
    this.height = height;
    this.width = width;
    this.outHeight =
        (height + 2 * g.padHeight() - g.dilationHeight() * (g.kernelHeight() - 1) - 1)
                / g.strideHeight()
            + 1;
    this.outWidth =
        (width + 2 * g.padWidth() - g.dilationWidth() * (g.kernelWidth() - 1) - 1) / g.strideWidth()
            + 1;
  }

  /**
   * Describes the patches of one convolution input.
   *
   * @param g the convolution (ungrouped)
   * @param shape the input's shape, {@code [N, C_in, H, W]} or unbatched {@code [C_in, H, W]}
   * @return the patch matrix
   * @throws IllegalArgumentException if the convolution is grouped, or the input is not a
   *     convolution input of {@code C_in} channels large enough for one output position
   */
  static PatchMatrix of(ConvGeometry g, long[] shape) {
    if (!g.ungrouped()) {
      throw new IllegalArgumentException(
          "The patches of a grouped convolution (" + g.describe() + ") are per group");
    }
    if (shape.length < 3 || shape.length > 4) {
      throw new IllegalArgumentException(
          "A convolution input is [N, C, H, W] or [C, H, W], not " + Arrays.toString(shape));
    }
    int at = shape.length - 3;
    long n = at == 0 ? 1 : shape[0];
    if (shape[at] != g.inChannels()
        || n < 0
        || n > Integer.MAX_VALUE
        || shape[at + 1] < 1
        || shape[at + 1] > Integer.MAX_VALUE
        || shape[at + 2] < 1
        || shape[at + 2] > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "Not an input of "
              + g.inChannels()
              + " channels for a "
              + g.describe()
              + " convolution: "
              + Arrays.toString(shape));
    }
    PatchMatrix p = new PatchMatrix(g, (int) n, (int) shape[at + 1], (int) shape[at + 2]);
    if (p.outHeight < 1 || p.outWidth < 1) {
      throw new IllegalArgumentException(
          "A " + g.describe() + " convolution has no output on " + Arrays.toString(shape));
    }
    return p;
  }

  /** The images, {@code N} (1 for an unbatched input). */
  int images() {
    return images;
  }

  /** The output positions of one image, {@code H_out W_out}. */
  int positions() {
    return outHeight * outWidth;
  }

  /** The rows of the whole matrix, {@code N H_out W_out}. */
  long rows() {
    return (long) images * positions();
  }

  /** The patch length, {@code C_in kh kw}: the matrix's columns. */
  int width() {
    return g.patchSize();
  }

  /** The rows of the chunks {@link #forEachChunk} hands over (the last may have fewer). */
  int chunkRows() {
    return (int) Math.max(1, Math.min(rows(), CHUNK_VALUES / width()));
  }

  /**
   * Writes rows {@code first .. first + count - 1} of the patch matrix.
   *
   * @param x the input's values, {@code [N, C_in, H, W]} row-major
   * @param first the first row
   * @param count how many rows
   * @param out receives {@code count} rows of {@link #width()} values, row-major
   */
  void unfold(float[] x, long first, int count, float[] out) {
    if (x.length != (long) images * g.inChannels() * height * width) {
      throw new IllegalArgumentException(
          x.length + " values are not an input of " + images + " images");
    }
    if (first < 0 || count < 0 || first + count > rows() || (long) count * width() > out.length) {
      throw new IllegalArgumentException(
          "Rows " + first + ".." + (first + count) + " exceed " + rows() + " or the output");
    }
    int kh = g.kernelHeight();
    int kw = g.kernelWidth();
    int channels = g.inChannels();
    int plane = height * width;
    int k = width();
    int positions = positions();
    for (int row = 0; row < count; row++) {
      long q = first + row;
      int n = (int) (q / positions);
      int pos = (int) (q % positions);
      int top = (pos / outWidth) * g.strideHeight() - g.padHeight();
      int left = (pos % outWidth) * g.strideWidth() - g.padWidth();
      int image = n * channels * plane;
      int o = row * k;
      for (int c = 0; c < channels; c++) {
        int base = image + c * plane;
        for (int i = 0; i < kh; i++) {
          int h = top + i * g.dilationHeight();
          boolean inside = h >= 0 && h < height;
          int line = base + h * width;
          for (int j = 0; j < kw; j++) {
            int w = left + j * g.dilationWidth();
            out[o++] = inside && w >= 0 && w < width ? x[line + w] : 0f;
          }
        }
      }
    }
  }

  /**
   * Hands the whole patch matrix to a sink, in chunks of {@link #chunkRows()} rows.
   *
   * @param x the input's values
   * @param sink receives each chunk
   */
  void forEachChunk(float[] x, ChunkSink sink) {
    int chunk = chunkRows();
    float[] buffer = new float[Math.multiplyExact(chunk, width())];
    for (long first = 0; first < rows(); first += chunk) {
      int count = (int) Math.min(chunk, rows() - first);
      unfold(x, first, count, buffer);
      sink.accept(buffer, count);
    }
  }
}
