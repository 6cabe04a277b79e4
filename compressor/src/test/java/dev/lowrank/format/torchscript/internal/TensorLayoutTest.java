package dev.lowrank.format.torchscript.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lowrank.format.torchscript.internal.pickle.DType;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTensor;
import dev.lowrank.format.torchscript.internal.pickle.Storage;
import dev.lowrank.format.torchscript.internal.zip.ZipArchive;
import dev.lowrank.format.torchscript.internal.zip.ZipWriter;
import dev.lowrank.linalg.FloatMatrix;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Storage bytes to matrices and back, for every floating dtype, offset and stride. */
class TensorLayoutTest {

  @TempDir Path dir;

  @Test
  void everyHalfRoundTrips() {
    for (int h = 0; h < 0x10000; h++) {
      float f = Float.intBitsToFloat(TensorLayout.halfToFloatBits((short) h));
      if (!Float.isNaN(f)) {
        assertEquals((short) h, TensorLayout.floatToHalf(f), "half 0x" + Integer.toHexString(h));
      }
    }
  }

  @Test
  void floatsRoundToTheNearestHalfAndBfloat16() {
    assertEquals((short) 0x3C00, TensorLayout.floatToHalf(1f));
    assertEquals((short) 0x7BFF, TensorLayout.floatToHalf(65504f));
    assertEquals((short) 0x7BFF, TensorLayout.floatToHalf(65519f));
    assertEquals((short) 0x7C00, TensorLayout.floatToHalf(65520f), "ties to even: infinity");
    assertEquals((short) 0x0001, TensorLayout.floatToHalf(0x1p-24f));
    assertEquals((short) 0x0000, TensorLayout.floatToHalf(0x1p-25f), "ties to even: zero");
    assertEquals((short) 0x0002, TensorLayout.floatToHalf(0x1.8p-24f), "ties to even: 2");
    assertEquals((short) 0x3C00, TensorLayout.floatToHalf(1f + 0x1p-11f), "ties to even: 1");
    assertEquals((short) 0x3C01, TensorLayout.floatToHalf(1f + 0x1.8p-11f));
    assertEquals((short) 0x3F80, TensorLayout.floatToBfloat16(1f));
    assertEquals((short) 0x3F80, TensorLayout.floatToBfloat16(1f + 0x1p-8f), "ties to even");
    assertEquals((short) 0x3F81, TensorLayout.floatToBfloat16(1f + 0x1.8p-8f));
    assertEquals((short) 0xC000, TensorLayout.floatToBfloat16(-2f));
  }

  @Test
  void readsOffsetsAndStridesInEveryFloatingType() throws Exception {
    float[] values = {0, 1, 2, 3, 4, 5, 6, 7};
    for (DType t : List.of(DType.FLOAT32, DType.FLOAT64, DType.FLOAT16, DType.BFLOAT16)) {
      for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
        byte[] bytes = TensorLayout.toBytes(FloatMatrix.wrap(1, 8, values), t, order);
        Path p = dir.resolve(t + "_" + order + ".zip");
        try (FileChannel ch =
            FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          ZipWriter w = new ZipWriter(ch);
          w.putStored("a/data/0", bytes);
          w.finish();
        }
        Storage s = new Storage("0", t, "cpu", 8);
        // A transposed 2 x 3 view starting at element 1: [[1, 3, 5], [2, 4, 6]].
        PyTensor view = new PyTensor(s, 1, new long[] {2, 3}, new long[] {1, 2}, false, List.of());
        try (ZipArchive z = ZipArchive.open(p)) {
          FloatMatrix m = TensorLayout.readMatrix(z, z.entries().get(0), view, order);
          assertArrayEquals(new float[] {1, 3, 5, 2, 4, 6}, m.data(), t + " " + order);
          PyTensor whole =
              new PyTensor(s, 0, new long[] {2, 4}, new long[] {4, 1}, false, List.of());
          assertArrayEquals(
              values, TensorLayout.readMatrix(z, z.entries().get(0), whole, order).data());
        }
      }
    }
  }

  @Test
  void extentsAreCheckedArithmetic() {
    Storage s = new Storage("0", DType.FLOAT32, "cpu", 10);
    assertEquals(
        0,
        TensorLayout.elementsNeeded(
            new PyTensor(s, 5, new long[] {0, 3}, new long[] {3, 1}, false, List.of())));
    assertEquals(
        9,
        TensorLayout.elementsNeeded(
            new PyTensor(s, 2, new long[] {2, 3}, new long[] {4, 1}, false, List.of())));
    assertThrows(
        ArithmeticException.class,
        () ->
            TensorLayout.elementsNeeded(
                new PyTensor(
                    s,
                    0,
                    new long[] {Long.MAX_VALUE / 2, 3},
                    new long[] {4, 1},
                    false,
                    List.of())));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            TensorLayout.elementsNeeded(
                new PyTensor(s, 0, new long[] {2}, new long[] {-1}, false, List.of())));
  }
}
