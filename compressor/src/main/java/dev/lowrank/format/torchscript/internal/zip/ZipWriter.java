package dev.lowrank.format.torchscript.internal.zip;

import dev.lowrank.format.ModelFileException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Writes a zip archive the way PyTorch's {@code PyTorchStreamWriter} does: entries stored (or
 * copied as they were), the data of every entry aligned to 64 bytes by padding the local header's
 * extra field, DOS time zero, and zip64 records where sizes or offsets need them.
 *
 * <p>The caller owns the channel; {@link #finish()} writes the central directory.
 */
public final class ZipWriter {

  /** The alignment PyTorch gives tensor data, so that it can be mapped in place. */
  public static final int ALIGNMENT = 64;

  private static final long U32 = 0xFFFFFFFFL;
  private static final int FLAG_UTF8 = 0x0800;
  private static final int PADDING_ID = 0x4246; // "FB", as PyTorch writes it

  private final FileChannel out;
  private final List<Central> central = new ArrayList<>();
  private final Set<String> names = new HashSet<>();
  private long position;
  private boolean finished;

  private record Central(
      String name, int method, long crc, long csize, long usize, long offset, int flags) {}

  /**
   * Starts an archive at the channel's current position.
   *
   * @param out a channel open for writing
   * @throws IOException if its position cannot be read
   */
  public ZipWriter(FileChannel out) throws IOException {
    this.out = out;
    this.position = out.position();
  }

  /**
   * Adds a stored entry.
   *
   * @param name the entry name
   * @param data its bytes
   * @throws IOException if the channel cannot be written
   */
  public void putStored(String name, byte[] data) throws IOException {
    CRC32 crc = new CRC32();
    crc.update(data);
    long offset = startEntry(name, ZipEntryInfo.STORED, crc.getValue(), data.length, data.length);
    write(ByteBuffer.wrap(data));
    endEntry(name, ZipEntryInfo.STORED, crc.getValue(), data.length, data.length, offset);
  }

  /**
   * Copies an entry of another archive under a (possibly new) name, byte for byte as it is stored,
   * streaming it and checking its size and CRC on the way.
   *
   * @param name the entry name in this archive
   * @param source the archive to copy from
   * @param entry the entry of {@code source}
   * @throws IOException if the channel cannot be written
   * @throws ModelFileException if the source entry is corrupt or truncated
   */
  public void putCopy(String name, ZipArchive source, ZipEntryInfo entry)
      throws IOException, ModelFileException {
    long offset =
        startEntry(name, entry.method(), entry.crc(), entry.compressedSize(), entry.size());
    source.stream(entry, this::write, bytes -> {});
    endEntry(name, entry.method(), entry.crc(), entry.compressedSize(), entry.size(), offset);
  }

  private long startEntry(String name, int method, long crc, long csize, long usize)
      throws IOException {
    if (finished) {
      throw new IllegalStateException("The archive is finished");
    }
    if (!names.add(name)) {
      throw new IllegalArgumentException("Duplicate zip entry " + name);
    }
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    boolean zip64 = csize >= U32 || usize >= U32;
    int zip64Len = zip64 ? 20 : 0;
    long base = position + 30 + nameBytes.length + zip64Len;
    int pad = (int) ((ALIGNMENT - base % ALIGNMENT) % ALIGNMENT);
    if (pad != 0 && pad < 4) {
      pad += ALIGNMENT;
    }
    ByteBuffer h =
        ByteBuffer.allocate(30 + nameBytes.length + zip64Len + pad).order(ByteOrder.LITTLE_ENDIAN);
    h.putInt(0x04034b50);
    h.putShort((short) (zip64 ? 45 : 20));
    h.putShort((short) flags(name));
    h.putShort((short) method);
    h.putShort((short) 0); // time
    h.putShort((short) 0); // date
    h.putInt((int) crc);
    h.putInt((int) (zip64 ? U32 : csize));
    h.putInt((int) (zip64 ? U32 : usize));
    h.putShort((short) nameBytes.length);
    h.putShort((short) (zip64Len + pad));
    h.put(nameBytes);
    if (zip64) {
      h.putShort((short) 1);
      h.putShort((short) 16);
      h.putLong(usize);
      h.putLong(csize);
    }
    if (pad > 0) {
      h.putShort((short) PADDING_ID);
      h.putShort((short) (pad - 4));
      for (int i = 0; i < pad - 4; i++) {
        h.put((byte) 'Z');
      }
    }
    h.flip();
    long offset = position;
    write(h);
    return offset;
  }

  private void endEntry(String name, int method, long crc, long csize, long usize, long offset) {
    central.add(new Central(name, method, crc, csize, usize, offset, flags(name)));
  }

  private static int flags(String name) {
    for (int i = 0; i < name.length(); i++) {
      if (name.charAt(i) >= 0x80) {
        return FLAG_UTF8;
      }
    }
    return 0;
  }

  private void write(ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      position += out.write(bytes);
    }
  }

  /**
   * Writes the central directory and the end records.
   *
   * @throws IOException if the channel cannot be written
   */
  public void finish() throws IOException {
    if (finished) {
      return;
    }
    finished = true;
    long cdStart = position;
    for (Central c : central) {
      byte[] nameBytes = c.name().getBytes(StandardCharsets.UTF_8);
      boolean bigU = c.usize() >= U32;
      boolean bigC = c.csize() >= U32;
      boolean bigO = c.offset() >= U32;
      int zip64Len = (bigU ? 8 : 0) + (bigC ? 8 : 0) + (bigO ? 8 : 0);
      int extraLen = zip64Len == 0 ? 0 : 4 + zip64Len;
      ByteBuffer h =
          ByteBuffer.allocate(46 + nameBytes.length + extraLen).order(ByteOrder.LITTLE_ENDIAN);
      h.putInt(0x02014b50);
      h.putShort((short) (zip64Len > 0 ? 45 : 20));
      h.putShort((short) (zip64Len > 0 ? 45 : 20));
      h.putShort((short) c.flags());
      h.putShort((short) c.method());
      h.putShort((short) 0);
      h.putShort((short) 0);
      h.putInt((int) c.crc());
      h.putInt((int) (bigC ? U32 : c.csize()));
      h.putInt((int) (bigU ? U32 : c.usize()));
      h.putShort((short) nameBytes.length);
      h.putShort((short) extraLen);
      h.putShort((short) 0); // comment
      h.putShort((short) 0); // disk
      h.putShort((short) 0); // internal attributes
      h.putInt(0); // external attributes
      h.putInt((int) (bigO ? U32 : c.offset()));
      h.put(nameBytes);
      if (zip64Len > 0) {
        h.putShort((short) 1);
        h.putShort((short) zip64Len);
        if (bigU) {
          h.putLong(c.usize());
        }
        if (bigC) {
          h.putLong(c.csize());
        }
        if (bigO) {
          h.putLong(c.offset());
        }
      }
      h.flip();
      write(h);
    }
    long cdSize = position - cdStart;
    long count = central.size();
    boolean zip64 = count >= 0xFFFF || cdSize >= U32 || cdStart >= U32;
    if (zip64) {
      long recordPos = position;
      ByteBuffer r = ByteBuffer.allocate(56 + 20).order(ByteOrder.LITTLE_ENDIAN);
      r.putInt(0x06064b50);
      r.putLong(44);
      r.putShort((short) 45);
      r.putShort((short) 45);
      r.putInt(0);
      r.putInt(0);
      r.putLong(count);
      r.putLong(count);
      r.putLong(cdSize);
      r.putLong(cdStart);
      r.putInt(0x07064b50);
      r.putInt(0);
      r.putLong(recordPos);
      r.putInt(1);
      r.flip();
      write(r);
    }
    ByteBuffer e = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
    e.putInt(0x06054b50);
    e.putShort((short) 0);
    e.putShort((short) 0);
    e.putShort((short) (zip64 ? 0xFFFF : count));
    e.putShort((short) (zip64 ? 0xFFFF : count));
    e.putInt((int) (zip64 ? U32 : cdSize));
    e.putInt((int) (zip64 ? U32 : cdStart));
    e.putShort((short) 0);
    e.flip();
    write(e);
  }
}
