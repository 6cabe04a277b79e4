package dev.lowrank.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.io.Fingerprint;
import dev.lowrank.testing.DjlFixtures;
import dev.lowrank.testing.TestBlocks.Variant;
import java.io.DataInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of bad input gets a clear error, the input is untouched and no output is left. */
class BadInputTest {

  private static final CompressionSpec RANK4 =
      CompressionSpec.builder().setPolicy(RankPolicy.rank(4)).build();

  @TempDir Path tmp;

  private void assertRefused(Path input, String expected) throws Exception {
    Path out = tmp.resolve("out");
    String before = Files.exists(input) ? Fingerprint.sha256(input) : "";
    Exception e = assertThrows(Exception.class, () -> Compressor.compress(input, out, RANK4));
    assertTrue(
        e instanceof ModelFileException || e instanceof IllegalArgumentException, e.toString());
    assertTrue(e.getMessage().startsWith(input.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line");
    assertFalse(Files.exists(out), "no output left behind");
    try (Stream<Path> left = Files.list(tmp)) {
      assertTrue(left.noneMatch(p -> p.getFileName().toString().contains("lowrank-tmp")));
    }
    if (!before.isEmpty()) {
      assertEquals(before, Fingerprint.sha256(input), "input unchanged");
    }
  }

  @Test
  void missingModel() throws Exception {
    assertRefused(tmp.resolve("nope.pt"), "no such file or directory");
  }

  @Test
  void aFileThatIsNotAModel() throws Exception {
    Path junk = tmp.resolve("junk.pt");
    byte[] bytes = new byte[4096];
    new Random(3).nextBytes(bytes);
    Files.write(junk, bytes);
    assertRefused(junk, "is not a zip archive, or is truncated");
    Path text = tmp.resolve("notes.txt");
    Files.writeString(text, "hello", StandardCharsets.UTF_8);
    assertRefused(text, "not a model lowrank can read");
  }

  @Test
  void aDirectoryWithoutABlockFactory() throws Exception {
    Path dir = DjlFixtures.copy(Variant.NESTED, tmp.resolve("nofactory"));
    Files.writeString(dir.resolve("serving.properties"), "engine=PyTorch\n");
    assertRefused(dir, "has no blockFactory");
  }

  @Test
  void aCorruptParameterFile() throws Exception {
    Path dir = DjlFixtures.copy(Variant.NESTED, tmp.resolve("corrupt"));
    Path params = dir.resolve("digits-0000.params");
    byte[] bytes = Files.readAllBytes(params);
    Files.write(params, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    assertRefused(dir, "DJL cannot load the model");
  }

  @Test
  void outputEqualToInput() throws Exception {
    Path dir = DjlFixtures.copy(Variant.NESTED, tmp.resolve("model"));
    String before = Fingerprint.sha256(dir);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Compressor.compress(dir, dir, RANK4));
    assertTrue(e.getMessage().contains("the output is the input model"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Compressor.compress(dir, dir.resolve("inside"), RANK4));
    assertEquals(before, Fingerprint.sha256(dir));
  }

  @Test
  void anExistingForeignOutputDirectoryIsNotOverwritten() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("precious"));
    Files.writeString(out.resolve("thesis.tex"), "keep me");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Compressor.compress(DjlFixtures.trained(Variant.NESTED), out, RANK4));
    assertTrue(e.getMessage().contains("is not a lowrank output"));
    assertEquals("keep me", Files.readString(out.resolve("thesis.tex")));
  }

  @Test
  void nanAndInfiniteWeightsAreRefused() throws Exception {
    Path dir = DjlFixtures.copy(Variant.NESTED, tmp.resolve("nan"));
    poisonFirstWeight(dir.resolve("digits-0000.params"), Float.NaN);
    assertRefused(dir, "linear layer 01Linear has NaN or infinite weights");
    Path inf = DjlFixtures.copy(Variant.NESTED, tmp.resolve("inf"));
    poisonFirstWeight(inf.resolve("digits-0000.params"), Float.POSITIVE_INFINITY);
    assertRefused(inf, "has NaN or infinite weights");
  }

  @Test
  void anAllZeroWeightStaysDenseWithAReason() throws Exception {
    Path dir = DjlFixtures.copy(Variant.NESTED, tmp.resolve("zero"));
    zeroFirstWeight(dir.resolve("digits-0000.params"));
    CompressionResult result = Compressor.compress(dir, tmp.resolve("out"), RANK4);
    LayerResult first = result.layer("01Linear").orElseThrow();
    assertEquals(LayerStatus.DENSE, first.status());
    assertTrue(first.reason().orElseThrow().contains("all zeros"));
    assertEquals(5, result.factorizedLayers().size());
  }

  /** Overwrites the first float of the first layer's weight with a value. */
  private static void poisonFirstWeight(Path params, float value) throws Exception {
    rewriteFirstWeight(params, value, false);
  }

  private static void zeroFirstWeight(Path params) throws Exception {
    rewriteFirstWeight(params, 0f, true);
  }

  /**
   * Edits the first array of a DJL parameter file in place: DJL encodes each array as the UTF
   * string "NDAR", an int version, a name flag and name, sparse format and data type (UTF), the
   * shape (int rank, longs, int layout length, chars), a byte-order byte, an int byte length, then
   * the raw values.
   */
  private static void rewriteFirstWeight(Path params, float value, boolean all) throws Exception {
    byte[] bytes = Files.readAllBytes(params);
    int at = indexOf(bytes, "NDAR".getBytes(StandardCharsets.US_ASCII));
    assertTrue(at > 2, "parameter file layout");
    DataInputStream in =
        new DataInputStream(new java.io.ByteArrayInputStream(bytes, at - 2, bytes.length));
    assertEquals("NDAR", in.readUTF());
    in.readInt();
    if (in.readByte() == 1) {
      in.readUTF();
    }
    in.readUTF();
    assertEquals("FLOAT32", in.readUTF());
    int rank = in.readInt();
    for (int i = 0; i < rank; i++) {
      in.readLong();
    }
    int layout = in.readInt();
    for (int i = 0; i < layout; i++) {
      in.readChar();
    }
    java.nio.ByteOrder order =
        in.readByte() == '>' ? java.nio.ByteOrder.BIG_ENDIAN : java.nio.ByteOrder.LITTLE_ENDIAN;
    int length = in.readInt();
    int start = bytes.length - in.available();
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes).order(order);
    for (int i = 0; i < (all ? length / 4 : 1); i++) {
      buf.putFloat(start + 4 * i, value);
    }
    Files.write(params, bytes);
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
