package dev.lowrank.format.torchscript.internal.zip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.format.ModelFileException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The zip writer's archives are valid zips with 64-byte aligned data; the reader checks sizes. */
class ZipRoundTripTest {

  @TempDir Path dir;

  private Map<String, byte[]> sample(int n) {
    Random rnd = new Random(7);
    Map<String, byte[]> m = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      byte[] b = new byte[rnd.nextInt(300)];
      rnd.nextBytes(b);
      m.put("archive/data/" + i, b);
    }
    return m;
  }

  private Path write(String name, Map<String, byte[]> entries) throws Exception {
    Path p = dir.resolve(name);
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ZipWriter w = new ZipWriter(ch);
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        w.putStored(e.getKey(), e.getValue());
      }
      w.finish();
    }
    return p;
  }

  @Test
  void storedEntriesAreAlignedAndReadableByTheJdk() throws Exception {
    Map<String, byte[]> entries = sample(50);
    Path p = write("a.zip", entries);
    try (ZipArchive z = ZipArchive.open(p)) {
      assertEquals(50, z.entries().size());
      for (ZipEntryInfo e : z.entries()) {
        assertEquals(0, e.dataOffset() % ZipWriter.ALIGNMENT, e.name());
        assertArrayEquals(entries.get(e.name()), z.readAll(e, 1000));
      }
    }
    try (ZipFile jdk = new ZipFile(p.toFile())) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        assertArrayEquals(
            e.getValue(), jdk.getInputStream(jdk.getEntry(e.getKey())).readAllBytes());
      }
    }
  }

  @Test
  void manyEntriesUseZip64EndRecords() throws Exception {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    for (int i = 0; i < 70_000; i++) {
      entries.put("archive/" + i, new byte[] {(byte) i});
    }
    Path p = write("many.zip", entries);
    try (ZipArchive z = ZipArchive.open(p)) {
      assertEquals(70_000, z.entries().size());
      assertArrayEquals(
          new byte[] {(byte) 69_999}, z.readAll(z.find("archive/69999").orElseThrow(), 1));
    }
    try (ZipFile jdk = new ZipFile(p.toFile())) {
      assertEquals(70_000, jdk.size());
    }
  }

  @Test
  void deflatedEntriesAreCopiedAsTheyAre() throws Exception {
    Path src = dir.resolve("deflated.zip");
    byte[] text = "class Foo(Module):\n  pass\n".repeat(50).getBytes(StandardCharsets.UTF_8);
    try (OutputStream os = Files.newOutputStream(src);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      zip.putNextEntry(new ZipEntry("archive/code/foo.py"));
      zip.write(text);
      zip.closeEntry();
    }
    Path copy = dir.resolve("copy.zip");
    try (ZipArchive in = ZipArchive.open(src);
        FileChannel ch =
            FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ZipWriter w = new ZipWriter(ch);
      ZipEntryInfo e = in.entries().get(0);
      assertEquals(ZipEntryInfo.DEFLATED, e.method());
      w.putCopy(e.name(), in, e);
      w.finish();
    }
    try (ZipArchive z = ZipArchive.open(copy)) {
      ZipEntryInfo e = z.entries().get(0);
      assertEquals(ZipEntryInfo.DEFLATED, e.method());
      assertArrayEquals(text, z.readAll(e, text.length));
    }
  }

  @Test
  void anEntryInflatingPastItsDeclaredSizeIsRefused() throws Exception {
    Path p = dir.resolve("bomb.zip");
    try (OutputStream os = Files.newOutputStream(p);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      zip.putNextEntry(new ZipEntry("archive/code/bomb.py"));
      zip.write(new byte[1 << 20]);
      zip.closeEntry();
    }
    patchCentralSize(p, 1000);
    try (ZipArchive z = ZipArchive.open(p)) {
      ModelFileException e =
          assertThrows(ModelFileException.class, () -> z.readAll(z.entries().get(0), 1 << 30));
      assertTrue(
          e.getMessage().contains("inflates to more than its declared 1000 bytes"), e.getMessage());
    }
  }

  @Test
  void aCentralEntryPointingIntoAnotherEntryIsRefused() throws Exception {
    Map<String, byte[]> entries = sample(2);
    Path p = write("overlap.zip", entries);
    byte[] bytes = Files.readAllBytes(p);
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int second = -1;
    for (int i = 0, seen = 0; i + 4 < bytes.length; i++) {
      if (b.getInt(i) == 0x02014b50 && ++seen == 2) {
        second = i;
      }
    }
    b.putInt(second + 42, 0); // the second entry's local header offset: the first entry's
    Files.write(p, bytes);
    ModelFileException e = assertThrows(ModelFileException.class, () -> ZipArchive.open(p));
    assertTrue(e.getMessage().contains("tampered"), e.getMessage());
  }

  private static void patchCentralSize(Path p, int size) throws Exception {
    byte[] bytes = Files.readAllBytes(p);
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i + 4 < bytes.length; i++) {
      if (b.getInt(i) == 0x02014b50) {
        b.putInt(i + 24, size);
      }
    }
    Files.write(p, bytes);
  }
}
