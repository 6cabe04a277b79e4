package dev.lowrank.format.torchscript;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** Builds damaged and hostile zip archives for tests, with the JDK's zip classes. */
final class ZipSurgery {

  private ZipSurgery() {}

  /** Reads every entry of a zip, in order. */
  static Map<String, byte[]> read(Path zip) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (ZipFile z = new ZipFile(zip.toFile())) {
      Enumeration<? extends ZipEntry> en = z.entries();
      while (en.hasMoreElements()) {
        ZipEntry e = en.nextElement();
        out.put(e.getName(), z.getInputStream(e).readAllBytes());
      }
    }
    return out;
  }

  /** Writes entries as a stored zip. */
  static Path write(Path target, Map<String, byte[]> entries) throws IOException {
    try (OutputStream os = Files.newOutputStream(target);
        ZipOutputStream zip = new ZipOutputStream(os, StandardCharsets.UTF_8)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        ZipEntry ze = new ZipEntry(e.getKey());
        ze.setMethod(ZipEntry.STORED);
        CRC32 crc = new CRC32();
        crc.update(e.getValue());
        ze.setCrc(crc.getValue());
        ze.setSize(e.getValue().length);
        ze.setCompressedSize(e.getValue().length);
        zip.putNextEntry(ze);
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return target;
  }

  /** Overwrites the sizes the central directory declares for one entry. */
  static void patchCentralSizes(Path zip, String name, int compressed, int uncompressed)
      throws IOException {
    byte[] bytes = Files.readAllBytes(zip);
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    for (int p = 0; p + 46 < bytes.length; p++) {
      if (b.getInt(p) == 0x02014b50 && (b.getShort(p + 28) & 0xFFFF) == nameBytes.length) {
        String at = new String(bytes, p + 46, nameBytes.length, StandardCharsets.UTF_8);
        if (at.equals(name)) {
          b.putInt(p + 20, compressed);
          b.putInt(p + 24, uncompressed);
          Files.write(zip, bytes);
          return;
        }
      }
    }
    throw new IllegalArgumentException("No central header for " + name);
  }

  /** Flips one byte of an entry's data in place. */
  static void flipDataByte(Path zip, String name) throws IOException {
    byte[] bytes = Files.readAllBytes(zip);
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    for (int p = 0; p + 30 < bytes.length; p++) {
      if (b.getInt(p) == 0x04034b50 && (b.getShort(p + 26) & 0xFFFF) == nameBytes.length) {
        String at = new String(bytes, p + 30, nameBytes.length, StandardCharsets.UTF_8);
        if (at.equals(name)) {
          int data = p + 30 + nameBytes.length + (b.getShort(p + 28) & 0xFFFF);
          bytes[data + 3] ^= 0x55;
          Files.write(zip, bytes);
          return;
        }
      }
    }
    throw new IllegalArgumentException("No local header for " + name);
  }
}
