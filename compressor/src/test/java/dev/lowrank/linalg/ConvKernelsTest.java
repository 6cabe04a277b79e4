package dev.lowrank.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The convolution arrangements against their definitions, on seeded random kernels. */
class ConvKernelsTest {

  private static final int C_OUT = 5;
  private static final int C_IN = 3;
  private static final int KH = 2;
  private static final int KW = 4;

  private static float[] kernel(long seed) {
    Random r = new Random(seed);
    float[] w = new float[C_OUT * C_IN * KH * KW];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    return w;
  }

  private static float at(float[] w, int o, int c, int i, int j) {
    return w[((o * C_IN + c) * KH + i) * KW + j];
  }

  @Test
  void spatialFormIsTheKernelIndexedByInputRowThenColumnOutput() {
    float[] w = kernel(1);
    FloatMatrix channel = FloatMatrix.wrap(C_OUT, C_IN * KH * KW, w.clone());
    FloatMatrix spatial = ConvKernels.channelToSpatial(channel, C_IN, KH, KW);
    assertEquals(C_IN * KH, spatial.rows());
    assertEquals(KW * C_OUT, spatial.cols());
    for (int o = 0; o < C_OUT; o++) {
      for (int c = 0; c < C_IN; c++) {
        for (int i = 0; i < KH; i++) {
          for (int j = 0; j < KW; j++) {
            assertEquals(at(w, o, c, i, j), spatial.get(c * KH + i, j * C_OUT + o));
          }
        }
      }
    }
    assertArrayEquals(w, ConvKernels.spatialToChannel(spatial, C_OUT, KH, KW).data());
    assertEquals(channel.frobeniusNormSquared(), spatial.frobeniusNormSquared(), 1e-9);
  }

  @Test
  void spatialKernelsComposeToTheProductOfTheFactors() {
    Random r = new Random(2);
    int rank = 3;
    float[] p = new float[C_IN * KH * rank];
    float[] q = new float[rank * KW * C_OUT];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < q.length; i++) {
      q[i] = (float) r.nextGaussian();
    }
    LowRankFactors f =
        new LowRankFactors(
            FloatMatrix.wrap(rank, KW * C_OUT, q), FloatMatrix.wrap(C_IN * KH, rank, p));
    FloatMatrix vertical = ConvKernels.spatialVertical(f);
    FloatMatrix horizontal = ConvKernels.spatialHorizontal(f, C_OUT, KW);
    assertEquals(rank, vertical.rows());
    assertEquals(C_IN * KH, vertical.cols());
    assertEquals(C_OUT, horizontal.rows());
    assertEquals(rank * KW, horizontal.cols());
    // Running the kh x 1 convolution then the 1 x kw one multiplies the kernels like this:
    FloatMatrix product = ConvKernels.spatialToChannel(f.product(), C_OUT, KH, KW);
    for (int o = 0; o < C_OUT; o++) {
      for (int c = 0; c < C_IN; c++) {
        for (int i = 0; i < KH; i++) {
          for (int j = 0; j < KW; j++) {
            double sum = 0;
            for (int k = 0; k < rank; k++) {
              sum += (double) horizontal.get(o, k * KW + j) * vertical.get(k, c * KH + i);
            }
            assertEquals(sum, product.get(o, (c * KH + i) * KW + j), 1e-5);
          }
        }
      }
    }
    LowRankFactors back = ConvKernels.spatialFactors(vertical, horizontal, KW);
    assertArrayEquals(f.a().data(), back.a().data());
    assertArrayEquals(f.b().data(), back.b().data());
  }

  @Test
  void shapesThatDoNotFitTheGeometryAreMisuse() {
    FloatMatrix channel = FloatMatrix.zeros(C_OUT, C_IN * KH * KW);
    assertThrows(
        IllegalArgumentException.class, () -> ConvKernels.channelToSpatial(channel, C_IN, 3, KW));
    assertThrows(
        IllegalArgumentException.class,
        () -> ConvKernels.spatialToChannel(FloatMatrix.zeros(6, 7), C_OUT, KH, KW));
  }
}
