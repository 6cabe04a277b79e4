package dev.lowrank.compress.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.format.ConvGeometry;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The patch matrix of a convolution input against the definition of a convolution: for every
 * geometry (strides, paddings, dilations, non-square kernels, 1x1, unbatched inputs), its rows
 * times the channel form {@code C_out x (C_in kh kw)} are the convolution's outputs computed
 * directly, so the Gram matrix of the rows is what whitens the channel form; chunks and row ranges
 * are pieces of the one matrix. PyTorch's {@code F.unfold} judges the same on real models in {@code
 * ConvCalibrationJudgeTest}.
 */
class PatchMatrixTest {

  /** A geometry and an input image size. */
  private record Case(ConvGeometry g, int images, int height, int width) {}

  private static final List<Case> CASES =
      List.of(
          new Case(ConvGeometry.of(4, 3, 3, 3, 1, 1), 2, 7, 6),
          new Case(new ConvGeometry(5, 2, 3, 5, 2, 1, 1, 2, 1, 1, 1), 3, 9, 8),
          new Case(new ConvGeometry(3, 4, 3, 3, 1, 1, 2, 2, 2, 2, 1), 1, 8, 8),
          new Case(new ConvGeometry(2, 3, 2, 3, 3, 2, 0, 1, 1, 2, 1), 2, 10, 11),
          new Case(ConvGeometry.of(6, 5, 1, 1, 1, 0), 2, 4, 3),
          new Case(ConvGeometry.of(3, 2, 5, 5, 2, 2), 1, 5, 5));

  private static float[] gaussian(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) random.nextGaussian();
    }
    return x;
  }

  /** The convolution by its definition, without bias, {@code [N, C_out, H_out, W_out]}. */
  private static double[] convolve(Case c, float[] x, float[] w, int outH, int outW) {
    ConvGeometry g = c.g();
    int cin = g.inChannels();
    int kh = g.kernelHeight();
    int kw = g.kernelWidth();
    double[] y = new double[c.images() * g.outChannels() * outH * outW];
    for (int n = 0; n < c.images(); n++) {
      for (int o = 0; o < g.outChannels(); o++) {
        for (int oh = 0; oh < outH; oh++) {
          for (int ow = 0; ow < outW; ow++) {
            double sum = 0;
            for (int ch = 0; ch < cin; ch++) {
              for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                  int h = oh * g.strideHeight() - g.padHeight() + i * g.dilationHeight();
                  int v = ow * g.strideWidth() - g.padWidth() + j * g.dilationWidth();
                  if (h < 0 || h >= c.height() || v < 0 || v >= c.width()) {
                    continue;
                  }
                  double xv = x[((n * cin + ch) * c.height() + h) * c.width() + v];
                  sum += xv * w[((o * cin + ch) * kh + i) * kw + j];
                }
              }
            }
            y[((n * g.outChannels() + o) * outH + oh) * outW + ow] = sum;
          }
        }
      }
    }
    return y;
  }

  @Test
  void rowsTimesTheChannelFormAreTheConvolution() {
    long seed = 1;
    for (Case c : CASES) {
      ConvGeometry g = c.g();
      int outH =
          (c.height() + 2 * g.padHeight() - g.dilationHeight() * (g.kernelHeight() - 1) - 1)
                  / g.strideHeight()
              + 1;
      int outW =
          (c.width() + 2 * g.padWidth() - g.dilationWidth() * (g.kernelWidth() - 1) - 1)
                  / g.strideWidth()
              + 1;
      float[] x = gaussian(c.images() * g.inChannels() * c.height() * c.width(), seed++);
      // The kernel C_out x C_in x kh x kw, row-major: its values are the channel form's.
      float[] w = gaussian(g.outChannels() * g.patchSize(), seed++);
      PatchMatrix p =
          PatchMatrix.of(g, new long[] {c.images(), g.inChannels(), c.height(), c.width()});
      assertEquals(outH * outW, p.positions(), g.describe());
      assertEquals((long) c.images() * outH * outW, p.rows(), g.describe());
      assertEquals(g.patchSize(), p.width());
      float[] rows = new float[(int) p.rows() * p.width()];
      p.unfold(x, 0, (int) p.rows(), rows);
      double[] expected = convolve(c, x, w, outH, outW);
      int k = p.width();
      for (int q = 0; q < p.rows(); q++) {
        int n = q / p.positions();
        int pos = q % p.positions();
        for (int o = 0; o < g.outChannels(); o++) {
          double dot = 0;
          for (int e = 0; e < k; e++) {
            dot += (double) rows[q * k + e] * w[o * k + e];
          }
          double want = expected[(n * g.outChannels() + o) * p.positions() + pos];
          assertEquals(want, dot, 1e-9 * (1 + Math.abs(want)), g.describe() + " row " + q);
        }
      }
      if (c.images() == 1) {
        PatchMatrix unbatched =
            PatchMatrix.of(g, new long[] {g.inChannels(), c.height(), c.width()});
        float[] same = new float[rows.length];
        unbatched.unfold(x, 0, (int) unbatched.rows(), same);
        assertArrayEquals(rows, same, 0f, "an unbatched input is one image");
      }
    }
  }

  @Test
  void chunksAndRangesArePiecesOfTheOneMatrix() {
    // 64 channels of 7x7: patches of 3,136 values, so one chunk holds 1,337 of the 1,600 rows.
    ConvGeometry g = ConvGeometry.of(8, 64, 7, 7, 1, 3);
    long[] shape = {1, 64, 40, 40};
    float[] x = gaussian(64 * 40 * 40, 7);
    PatchMatrix p = PatchMatrix.of(g, shape);
    assertTrue(p.chunkRows() < p.rows(), "the whole matrix takes several chunks");
    float[] whole = new float[(int) p.rows() * p.width()];
    p.unfold(x, 0, (int) p.rows(), whole);
    float[] joined = new float[whole.length];
    int[] at = {0};
    int[] chunks = {0};
    p.forEachChunk(
        x,
        (rows, count) -> {
          assertTrue(count <= p.chunkRows());
          System.arraycopy(rows, 0, joined, at[0], count * p.width());
          at[0] += count * p.width();
          chunks[0]++;
        });
    assertEquals(whole.length, at[0]);
    assertEquals(2, chunks[0]);
    assertArrayEquals(whole, joined, 0f);
    float[] part = new float[5 * p.width()];
    p.unfold(x, 1331, 5, part);
    for (int i = 0; i < part.length; i++) {
      assertEquals(whole[1331 * p.width() + i], part[i], 0f);
    }
  }

  @Test
  void inputsThatAreNotTheConvolutionsAreRefused() {
    ConvGeometry g = ConvGeometry.of(4, 3, 3, 3, 1, 0);
    assertThrows(IllegalArgumentException.class, () -> PatchMatrix.of(g, new long[] {2, 4, 8, 8}));
    assertThrows(IllegalArgumentException.class, () -> PatchMatrix.of(g, new long[] {2, 3, 2, 8}));
    assertThrows(IllegalArgumentException.class, () -> PatchMatrix.of(g, new long[] {2, 27}));
    ConvGeometry grouped = new ConvGeometry(4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2);
    assertThrows(
        IllegalArgumentException.class, () -> PatchMatrix.of(grouped, new long[] {1, 4, 8, 8}));
    PatchMatrix p = PatchMatrix.of(g, new long[] {1, 3, 8, 8});
    assertThrows(
        IllegalArgumentException.class, () -> p.unfold(new float[10], 0, 1, new float[27]));
    assertThrows(
        IllegalArgumentException.class,
        () -> p.unfold(new float[3 * 64], 35, 2, new float[54]),
        "36 rows only");
  }
}
