package dev.lowrank.format.torchscript.internal.zip;

import dev.lowrank.format.ModelFileException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A zip archive opened for reading with the checks an untrusted file needs: every entry name stays
 * inside the archive, every declared size fits in the file, entries do not overlap, compressed
 * entries inflate to exactly their declared size, and CRCs match whenever an entry is read whole.
 *
 * <p>Reads are positional, so one instance serves several threads. Every problem is a {@link
 * ModelFileException} naming the file.
 */
public final class ZipArchive implements Closeable {

  /** The most central-directory bytes read (a million entries of 64-byte names). */
  private static final long MAX_CENTRAL_DIRECTORY = 128L << 20;

  private static final int MAX_ENTRIES = 1 << 20;

  /** The largest declared size of a deflated entry (PyTorch deflates only code files). */
  private static final long MAX_DEFLATED_SIZE = 1L << 30;

  private static final int EOCD_SIZE = 22;
  private static final int SIG_EOCD = 0x06054b50;
  private static final int SIG_ZIP64_EOCD = 0x06064b50;
  private static final int SIG_ZIP64_LOCATOR = 0x07064b50;
  private static final int SIG_CENTRAL = 0x02014b50;
  private static final int SIG_LOCAL = 0x04034b50;
  private static final long U32 = 0xFFFFFFFFL;
  private static final int U16 = 0xFFFF;
  private static final int CHUNK = 1 << 20;

  private final Path path;
  private final FileChannel channel;
  private final List<ZipEntryInfo> entries;
  private final Map<String, ZipEntryInfo> byName;

  private ZipArchive(Path path, FileChannel channel, List<ZipEntryInfo> entries) {
    this.path = path;
    this.channel = channel;
    this.entries = Collections.unmodifiableList(entries);
    Map<String, ZipEntryInfo> map = new LinkedHashMap<>();
    for (ZipEntryInfo e : entries) {
      map.put(e.name(), e);
    }
    this.byName = map;
  }

  /**
   * Opens and checks an archive.
   *
   * @param path the file
   * @return the open archive, to be closed by the caller
   * @throws ModelFileException if the file is not a readable, well-formed zip archive
   */
  public static ZipArchive open(Path path) throws ModelFileException {
    FileChannel channel;
    try {
      channel = FileChannel.open(path, StandardOpenOption.READ);
    } catch (IOException e) {
      throw new ModelFileException(path, "cannot be opened (" + e.getMessage() + ")", e);
    }
    try {
      List<ZipEntryInfo> entries = new Parser(path, channel).parse();
      return new ZipArchive(path, channel, entries);
    } catch (ModelFileException | RuntimeException e) {
      closeQuietly(channel, e);
      throw e;
    } catch (IOException e) {
      closeQuietly(channel, e);
      throw new ModelFileException(path, "cannot be read (" + e.getMessage() + ")", e);
    }
  }

  private static void closeQuietly(FileChannel channel, Exception cause) {
    try {
      channel.close();
    } catch (IOException suppressed) {
      cause.addSuppressed(suppressed);
    }
  }

  /**
   * Returns the file this archive was read from.
   *
   * @return the path
   */
  public Path path() {
    return path;
  }

  /**
   * Returns the entries in central-directory order.
   *
   * @return an unmodifiable list
   */
  public List<ZipEntryInfo> entries() {
    return entries;
  }

  /**
   * Finds an entry by its full name.
   *
   * @param name the entry name
   * @return the entry, if present
   */
  public Optional<ZipEntryInfo> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /**
   * Reads a whole entry, checking its size and CRC.
   *
   * @param entry an entry of this archive
   * @param limit the most bytes the caller accepts
   * @return the uncompressed bytes
   * @throws ModelFileException if the entry is larger than {@code limit}, corrupt or truncated
   */
  public byte[] readAll(ZipEntryInfo entry, long limit) throws ModelFileException {
    if (entry.size() > limit || entry.size() > Integer.MAX_VALUE - 16) {
      throw problem(
          "entry '"
              + entry.name()
              + "' declares "
              + entry.size()
              + " bytes, more than the "
              + limit
              + " lowrank reads for it");
    }
    byte[] out = new byte[(int) entry.size()];
    ByteBuffer target = ByteBuffer.wrap(out);
    stream(entry, raw -> {}, target::put);
    return out;
  }

  /**
   * Reads part of a stored entry without checking its CRC (the caller reads a tensor's range).
   *
   * @param entry a stored entry of this archive
   * @param position the first byte to read, relative to the entry's data
   * @param length how many bytes to read
   * @return a buffer holding the bytes, positioned at 0
   * @throws ModelFileException if the range lies outside the entry or the file is truncated
   */
  public ByteBuffer readRange(ZipEntryInfo entry, long position, int length)
      throws ModelFileException {
    if (!entry.stored()) {
      throw problem("entry '" + entry.name() + "' is compressed; tensor data must be stored");
    }
    if (position < 0 || length < 0 || position + length > entry.size()) {
      throw problem(
          "entry '"
              + entry.name()
              + "' holds "
              + entry.size()
              + " bytes, fewer than the "
              + (position + length)
              + " needed");
    }
    ByteBuffer buf = ByteBuffer.allocate(length);
    readAt(entry.dataOffset() + position, buf);
    buf.flip();
    return buf;
  }

  /**
   * Streams an entry's raw (possibly compressed) bytes to {@code raw} and its uncompressed bytes to
   * {@code plain}, then checks the uncompressed size and CRC.
   *
   * @param entry an entry of this archive
   * @param raw receives the bytes as stored in the file
   * @param plain receives the uncompressed bytes
   * @throws ModelFileException if the entry is corrupt, truncated or of the wrong size, or a sink
   *     fails
   */
  public void stream(ZipEntryInfo entry, Sink raw, Sink plain) throws ModelFileException {
    CRC32 crc = new CRC32();
    long produced = 0;
    Inflater inflater = entry.stored() ? null : new Inflater(true);
    try {
      ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK, entry.compressedSize() + 1));
      byte[] inflated = inflater == null ? new byte[0] : new byte[CHUNK];
      long done = 0;
      while (done < entry.compressedSize()) {
        chunk.clear();
        chunk.limit((int) Math.min(chunk.capacity(), entry.compressedSize() - done));
        readAt(entry.dataOffset() + done, chunk);
        chunk.flip();
        done += chunk.remaining();
        raw.accept(chunk.duplicate());
        if (inflater == null) {
          crc.update(chunk.duplicate());
          produced += chunk.remaining();
          plain.accept(chunk);
        } else {
          inflater.setInput(chunk);
          while (!inflater.needsInput() && !inflater.finished()) {
            int n = inflater.inflate(inflated);
            if (n == 0 && inflater.needsDictionary()) {
              throw problem("entry '" + entry.name() + "' is corrupt (preset dictionary)");
            }
            produced += n;
            if (produced > entry.size()) {
              throw problem(
                  "entry '"
                      + entry.name()
                      + "' inflates to more than its declared "
                      + entry.size()
                      + " bytes");
            }
            crc.update(inflated, 0, n);
            plain.accept(ByteBuffer.wrap(inflated, 0, n));
          }
        }
      }
      if (inflater != null && !inflater.finished()) {
        throw problem("entry '" + entry.name() + "' is corrupt (its deflate stream is cut short)");
      }
    } catch (DataFormatException e) {
      throw new ModelFileException(
          path, "entry '" + entry.name() + "' is corrupt (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new ModelFileException(
          path, "cannot copy entry '" + entry.name() + "' (" + e.getMessage() + ")", e);
    } finally {
      if (inflater != null) {
        inflater.end();
      }
    }
    if (produced != entry.size()) {
      throw problem(
          "entry '"
              + entry.name()
              + "' holds "
              + produced
              + " bytes but declares "
              + entry.size()
              + " (truncated or corrupt)");
    }
    if (crc.getValue() != entry.crc()) {
      throw problem("entry '" + entry.name() + "' is corrupt (CRC mismatch)");
    }
  }

  private void readAt(long position, ByteBuffer dst) throws ModelFileException {
    try {
      long pos = position;
      while (dst.hasRemaining()) {
        int n = channel.read(dst, pos);
        if (n < 0) {
          throw problem("is truncated (data ends at byte " + pos + ")");
        }
        pos += n;
      }
    } catch (IOException e) {
      throw new ModelFileException(path, "cannot be read (" + e.getMessage() + ")", e);
    }
  }

  private ModelFileException problem(String what) {
    return new ModelFileException(path, what);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Receives a run of bytes; the buffer is only valid during the call. */
  @FunctionalInterface
  public interface Sink {
    /**
     * Takes the bytes between the buffer's position and limit.
     *
     * @param bytes the bytes
     * @throws IOException if they cannot be written on
     */
    void accept(ByteBuffer bytes) throws IOException;
  }

  /** Reads and checks the end record, the central directory and the local headers. */
  private static final class Parser {
    private final Path path;
    private final FileChannel channel;

    Parser(Path path, FileChannel channel) {
      this.path = path;
      this.channel = channel;
    }

    List<ZipEntryInfo> parse() throws IOException, ModelFileException {
      long fileSize = channel.size();
      if (fileSize < EOCD_SIZE) {
        throw fail("is not a zip archive (only " + fileSize + " bytes)");
      }
      int tailLength = (int) Math.min(fileSize, EOCD_SIZE + U16);
      ByteBuffer tail = read(fileSize - tailLength, tailLength);
      int at = -1;
      for (int i = tailLength - EOCD_SIZE; i >= 0; i--) {
        if (tail.getInt(i) == SIG_EOCD
            && i + EOCD_SIZE + (tail.getShort(i + 20) & U16) <= tailLength) {
          at = i;
          break;
        }
      }
      if (at < 0) {
        throw fail(
            "is not a zip archive, or is truncated (no end of central directory record found)");
      }
      long eocdPos = fileSize - tailLength + at;
      int disk = tail.getShort(at + 4) & U16;
      int cdDisk = tail.getShort(at + 6) & U16;
      long count = tail.getShort(at + 10) & U16;
      long cdSize = tail.getInt(at + 12) & U32;
      long cdOffset = tail.getInt(at + 16) & U32;
      long cdLimit = eocdPos;
      if (count == U16 || cdSize == U32 || cdOffset == U32) {
        if (eocdPos >= 20) {
          ByteBuffer loc = read(eocdPos - 20, 20);
          if (loc.getInt(0) == SIG_ZIP64_LOCATOR) {
            long recordPos = loc.getLong(8);
            if (recordPos < 0 || recordPos + 56 > eocdPos - 20) {
              throw fail("is corrupt (its zip64 end record lies outside the file)");
            }
            ByteBuffer rec = read(recordPos, 56);
            if (rec.getInt(0) != SIG_ZIP64_EOCD) {
              throw fail("is corrupt (no zip64 end record where the locator points)");
            }
            disk = rec.getInt(16);
            cdDisk = rec.getInt(20);
            count = rec.getLong(32);
            cdSize = rec.getLong(40);
            cdOffset = rec.getLong(48);
            cdLimit = recordPos;
          }
        }
      }
      if (disk != 0 || cdDisk != 0) {
        throw fail("is a multi-part zip archive, which lowrank does not read");
      }
      if (count < 0 || count > MAX_ENTRIES) {
        throw fail("declares " + count + " entries, more than the " + MAX_ENTRIES + " allowed");
      }
      if (cdSize < 0 || cdSize > MAX_CENTRAL_DIRECTORY) {
        throw fail("declares a central directory of " + cdSize + " bytes, an absurd size");
      }
      if (cdOffset < 0 || cdOffset + cdSize > cdLimit) {
        throw fail(
            "is truncated or corrupt (its central directory would lie outside the file: offset "
                + cdOffset
                + ", size "
                + cdSize
                + ", file "
                + fileSize
                + " bytes)");
      }
      ByteBuffer cd = read(cdOffset, (int) cdSize);
      List<ZipEntryInfo> entries = new ArrayList<>();
      Map<String, Boolean> seen = new LinkedHashMap<>();
      int p = 0;
      for (long i = 0; i < count; i++) {
        if (p + 46 > cd.limit() || cd.getInt(p) != SIG_CENTRAL) {
          throw fail("is corrupt (central directory entry " + i + " is damaged)");
        }
        int flags = cd.getShort(p + 8) & U16;
        int method = cd.getShort(p + 10) & U16;
        long crc = cd.getInt(p + 16) & U32;
        long csize = cd.getInt(p + 20) & U32;
        long usize = cd.getInt(p + 24) & U32;
        int nameLen = cd.getShort(p + 28) & U16;
        int extraLen = cd.getShort(p + 30) & U16;
        int commentLen = cd.getShort(p + 32) & U16;
        int startDisk = cd.getShort(p + 34) & U16;
        long offset = cd.getInt(p + 42) & U32;
        int end = p + 46 + nameLen + extraLen + commentLen;
        if (end > cd.limit()) {
          throw fail("is corrupt (central directory entry " + i + " runs past its end)");
        }
        String name = decodeName(cd, p + 46, nameLen);
        int x = p + 46 + nameLen;
        int xEnd = x + extraLen;
        while (x + 4 <= xEnd) {
          int id = cd.getShort(x) & U16;
          int len = cd.getShort(x + 2) & U16;
          if (x + 4 + len > xEnd) {
            throw fail("is corrupt (a damaged extra field in entry '" + name + "')");
          }
          if (id == 1) {
            int q = x + 4;
            int qEnd = q + len;
            if (usize == U32 && q + 8 <= qEnd) {
              usize = cd.getLong(q);
              q += 8;
            }
            if (csize == U32 && q + 8 <= qEnd) {
              csize = cd.getLong(q);
              q += 8;
            }
            if (offset == U32 && q + 8 <= qEnd) {
              offset = cd.getLong(q);
              q += 8;
            }
            if (startDisk == U16 && q + 4 <= qEnd) {
              startDisk = cd.getInt(q);
            }
          }
          x += 4 + len;
        }
        checkName(name);
        if (seen.put(name, Boolean.TRUE) != null) {
          throw fail("has two entries named '" + name + "'");
        }
        if ((flags & 1) != 0) {
          throw fail("entry '" + name + "' is encrypted, which lowrank does not read");
        }
        if (method != ZipEntryInfo.STORED && method != ZipEntryInfo.DEFLATED) {
          throw fail("entry '" + name + "' uses compression method " + method + " (unsupported)");
        }
        if (startDisk != 0) {
          throw fail("is a multi-part zip archive, which lowrank does not read");
        }
        if (usize < 0 || csize < 0 || offset < 0) {
          throw fail("entry '" + name + "' declares an absurd size or offset");
        }
        if (method == ZipEntryInfo.STORED && csize != usize) {
          throw fail(
              "entry '"
                  + name
                  + "' is stored but declares "
                  + csize
                  + " bytes in the file and "
                  + usize
                  + " uncompressed (corrupt)");
        }
        if (method == ZipEntryInfo.DEFLATED && usize > MAX_DEFLATED_SIZE) {
          throw fail(
              "entry '"
                  + name
                  + "' declares "
                  + usize
                  + " uncompressed bytes, an absurd size for a compressed entry");
        }
        entries.add(new ZipEntryInfo(name, method, crc, csize, usize, offset, -1));
        p = end;
      }
      return locate(entries, cdOffset);
    }

    /** Reads each local header, fixes the data offsets and checks that entries do not overlap. */
    private List<ZipEntryInfo> locate(List<ZipEntryInfo> entries, long dataLimit)
        throws ModelFileException {
      List<ZipEntryInfo> located = new ArrayList<>(entries.size());
      for (ZipEntryInfo e : entries) {
        if (e.localHeaderOffset() + 30 > dataLimit) {
          throw fail(
              "is truncated or corrupt (entry '" + e.name() + "' starts past the archive data)");
        }
        ByteBuffer h = read(e.localHeaderOffset(), 30);
        if (h.getInt(0) != SIG_LOCAL) {
          throw fail("is corrupt (no local header for entry '" + e.name() + "')");
        }
        int nameLen = h.getShort(26) & U16;
        int extraLen = h.getShort(28) & U16;
        long dataOffset = e.localHeaderOffset() + 30 + nameLen + extraLen;
        if (dataOffset > dataLimit) {
          throw fail(
              "is truncated or corrupt (entry '" + e.name() + "' starts past the archive data)");
        }
        String localName = decodeName(read(e.localHeaderOffset() + 30, nameLen), 0, nameLen);
        if (!localName.equals(e.name())) {
          throw fail(
              "is corrupt (entry '"
                  + e.name()
                  + "' has the local name '"
                  + localName
                  + "'; the archive was tampered with)");
        }
        if (e.compressedSize() > dataLimit - dataOffset) {
          throw fail(
              "entry '"
                  + e.name()
                  + "' declares "
                  + e.compressedSize()
                  + " bytes, more than the file holds (truncated, or an absurd size)");
        }
        located.add(
            new ZipEntryInfo(
                e.name(),
                e.method(),
                e.crc(),
                e.compressedSize(),
                e.size(),
                e.localHeaderOffset(),
                dataOffset));
      }
      List<ZipEntryInfo> byOffset = new ArrayList<>(located);
      byOffset.sort(Comparator.comparingLong(ZipEntryInfo::localHeaderOffset));
      for (int i = 0; i + 1 < byOffset.size(); i++) {
        ZipEntryInfo a = byOffset.get(i);
        ZipEntryInfo b = byOffset.get(i + 1);
        if (a.dataOffset() + a.compressedSize() > b.localHeaderOffset()) {
          throw fail(
              "is corrupt (entries '" + a.name() + "' and '" + b.name() + "' overlap in the file)");
        }
      }
      return located;
    }

    private void checkName(String name) throws ModelFileException {
      boolean escapes =
          name.isEmpty()
              || name.startsWith("/")
              || name.indexOf('\\') >= 0
              || name.indexOf('\0') >= 0
              || (name.length() > 1 && name.charAt(1) == ':');
      for (String part : name.split("/", -1)) {
        if (part.equals("..")) {
          escapes = true;
        }
      }
      if (escapes) {
        throw fail("zip entry '" + Texts.printable(name) + "' escapes the archive");
      }
    }

    private String decodeName(ByteBuffer buf, int at, int len) throws ModelFileException {
      ByteBuffer slice = buf.duplicate();
      slice.position(at).limit(at + len);
      return Texts.strictUtf8(slice)
          .orElseThrow(() -> fail("is corrupt (an entry name is not valid UTF-8)"));
    }

    private ByteBuffer read(long position, int length) throws ModelFileException {
      ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
      try {
        long pos = position;
        while (buf.hasRemaining()) {
          int n = channel.read(buf, pos);
          if (n < 0) {
            throw fail("is truncated (it ends at byte " + pos + ")");
          }
          pos += n;
        }
      } catch (IOException e) {
        throw new ModelFileException(path, "cannot be read (" + e.getMessage() + ")", e);
      }
      buf.flip();
      return buf;
    }

    private ModelFileException fail(String what) {
      return new ModelFileException(path, what);
    }
  }
}
