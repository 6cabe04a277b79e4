package dev.lowrank.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reads golden files written by NumPy ({@code make_npy_fixtures.py} next to them regenerates them):
 * every file holds {@code arange(24).reshape(4, 2, 3)}, scaled by 0.5 and shifted by -3 for the
 * float types.
 */
class NpyReaderTest {

  @TempDir Path tmp;

  static Path golden(String name) throws Exception {
    return Path.of(NpyReaderTest.class.getResource(name).toURI());
  }

  static float expected(int i, boolean scaled) {
    return scaled ? i * 0.5f - 3 : i;
  }

  @ParameterizedTest
  @ValueSource(strings = {"x-f4.npy", "x-f8.npy", "x-i4.npy", "x-i8.npy", "x-u1.npy"})
  void readsEveryElementTypeInCOrder(String file) throws Exception {
    Dataset d = Datasets.read(golden(file));
    boolean scaled = file.contains("-f");
    assertEquals(4, d.size());
    assertEquals(6, d.featureCount());
    assertEquals(SampleShape.of(2, 3), d.shape().orElseThrow());
    assertFalse(d.labeled());
    assertEquals("npy", d.format());
    for (int s = 0; s < 4; s++) {
      float[] row = d.features(s);
      for (int j = 0; j < 6; j++) {
        assertEquals(expected(s * 6 + j, scaled), row[j], 0f, file + " sample " + s);
      }
    }
  }

  @Test
  void flatArrayHasNoSampleShape() throws Exception {
    Dataset d = Datasets.read(golden("x-flat-f4.npy"));
    assertEquals(6, d.featureCount());
    assertTrue(d.shape().isEmpty());
  }

  @Test
  void readsNpzWithLabels() throws Exception {
    for (String file : new String[] {"xy.npz", "xy-compressed.npz"}) {
      Dataset d = Datasets.read(golden(file));
      assertEquals(4, d.size(), file);
      assertArrayEquals(new int[] {3, 0, 2, 1}, d.labels().orElseThrow(), file);
      assertEquals(-3f, d.features(0)[0], 0f);
      assertEquals(8.5f, d.features(3)[5], 0f);
      assertEquals("npz", d.format());
    }
  }

  @Test
  void npzWithoutYOrReadUnlabeledHasNoLabels() throws Exception {
    assertFalse(Datasets.read(golden("x-only.npz")).labeled());
    Dataset d = Datasets.read(golden("xy.npz"), DataOptions.builder().optUnlabeled().build());
    assertFalse(d.labeled());
  }

  @Test
  void refusesUnsupportedFilesWithOneLineMessages() throws Exception {
    assertProblem("x-big-endian.npy", "big-endian");
    assertProblem("x-fortran.npy", "Fortran order");
    assertProblem("x-f2.npy", "element type <f2");
    assertProblem("truncated.npy", "truncated");
    assertProblem("empty.npy", "holds no samples");
    assertProblem("features-labels.npz", "holds no array 'x' (arrays: ");
    assertProblem("y-mismatch.npz", "array 'y' has shape (2,) but 'x' holds 4 samples");
    assertProblem("y-fractional.npz", "y[0] = 0.5 is not a class index");
  }

  @Test
  void refusesLabelsBeyondTheLargestClassIndexInsteadOfClampingThem() throws Exception {
    assertProblem(
        "y-too-large.npz", "y[2] = 1.0E20 is out of range: a class index is at most 16777215");
    assertProblem("y-int64-too-large.npz", "y[1] = 2.14748365E9 is out of range");
    assertArrayEquals(
        new int[] {3, 16_777_215, 2, 1},
        Datasets.read(golden("y-largest.npz")).labels().orElseThrow(),
        "2^24 - 1, the largest class index, is read exactly");
  }

  @Test
  void refusesFilesThatAreNotNumpy() throws Exception {
    Path fake = tmp.resolve("fake.npy");
    Files.writeString(fake, "hello, not numpy");
    DataFileException e = assertThrows(DataFileException.class, () -> Datasets.read(fake));
    assertTrue(e.getMessage().startsWith(fake + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
    Path zip = tmp.resolve("fake.npz");
    Files.writeString(zip, "not a zip");
    e = assertThrows(DataFileException.class, () -> Datasets.read(zip));
    assertTrue(e.getMessage().contains("not a valid .npz"), e.getMessage());
  }

  @Test
  void refusesAHeaderDeclaringMoreDataThanTheFileHolds() throws Exception {
    byte[] whole = Files.readAllBytes(golden("x-f4.npy"));
    String header = new String(whole, 10, whole[8], StandardCharsets.ISO_8859_1);
    String huge = header.replace("(4, 2, 3)", "(400000, 2, 3)");
    byte[] out = whole.clone();
    byte[] h = huge.substring(0, header.length()).getBytes(StandardCharsets.ISO_8859_1);
    System.arraycopy(h, 0, out, 10, h.length);
    Path file = tmp.resolve("huge.npy");
    Files.write(file, out);
    DataFileException e = assertThrows(DataFileException.class, () -> Datasets.read(file));
    assertTrue(e.getMessage().contains("declares shape"), e.getMessage());
  }

  private static void assertProblem(String file, String problem) throws Exception {
    Path path = golden(file);
    DataFileException e = assertThrows(DataFileException.class, () -> Datasets.read(path));
    assertTrue(e.getMessage().startsWith(path + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(problem), file + ": " + e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }
}
