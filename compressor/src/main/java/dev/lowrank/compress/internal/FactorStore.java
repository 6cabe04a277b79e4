package dev.lowrank.compress.internal;

import dev.lowrank.io.TemporaryFiles;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Holds the factors of a compression until they are written, within a memory budget: past it,
 * factors go to temporary files and are read back one at a time when the writer asks for them, so
 * the heap holds a few layers' worth whatever the model's size.
 */
public final class FactorStore implements AutoCloseable {

  private final long budgetBytes;
  private long heldBytes;
  private final Map<String, LowRankFactors> inMemory = new HashMap<>();
  private final Map<String, Path> spilled = new HashMap<>();
  private Path dir;

  /**
   * Creates a store.
   *
   * @param budgetBytes how many bytes of factors to keep on the heap before spilling
   */
  public FactorStore(long budgetBytes) {
    this.budgetBytes = budgetBytes;
  }

  /**
   * Creates a store with a quarter of the maximum heap as its budget.
   *
   * @return the store
   */
  public static FactorStore forHeap() {
    return new FactorStore(Runtime.getRuntime().maxMemory() / 4);
  }

  /**
   * Keeps a layer's factors.
   *
   * @param name the layer name
   * @param factors the factors
   */
  public synchronized void put(String name, LowRankFactors factors) {
    long bytes = 4 * factors.parameters();
    if (heldBytes + bytes <= budgetBytes) {
      inMemory.put(name, factors);
      heldBytes += bytes;
      return;
    }
    try {
      if (dir == null) {
        dir = TemporaryFiles.createDirectory("lowrank-factors");
      }
      Path file = dir.resolve(spilled.size() + ".f32");
      try (FileChannel ch =
          FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(factors.a().rows()).putInt(factors.a().cols());
        header.putInt(factors.b().rows()).putInt(factors.b().cols()).flip();
        ch.write(header);
        write(ch, factors.a().data());
        write(ch, factors.b().data());
      }
      spilled.put(name, file);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot spill factors to a temporary file", e);
    }
  }

  /**
   * Returns the factors as a map in the given order; spilled entries are read on each {@code get}.
   *
   * @param order layer names in model order
   * @return a read-only view
   */
  public Map<String, LowRankFactors> view(List<String> order) {
    List<String> names =
        order.stream().filter(n -> inMemory.containsKey(n) || spilled.containsKey(n)).toList();
    return new AbstractMap<>() {
      @Override
      public LowRankFactors get(Object key) {
        return load((String) key);
      }

      @Override
      public boolean containsKey(Object key) {
        return inMemory.containsKey(key) || spilled.containsKey(key);
      }

      @Override
      public Set<Map.Entry<String, LowRankFactors>> entrySet() {
        return new AbstractSet<>() {
          @Override
          public Iterator<Map.Entry<String, LowRankFactors>> iterator() {
            Iterator<String> it = names.iterator();
            return new Iterator<>() {
              @Override
              public boolean hasNext() {
                return it.hasNext();
              }

              @Override
              public Map.Entry<String, LowRankFactors> next() {
                String name = it.next();
                return new SimpleImmutableEntry<>(name, load(name));
              }
            };
          }

          @Override
          public int size() {
            return names.size();
          }
        };
      }
    };
  }

  private synchronized LowRankFactors load(String name) {
    LowRankFactors held = inMemory.get(name);
    if (held != null) {
      return held;
    }
    Path file = spilled.get(name);
    if (file == null) {
      return null;
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, header);
      header.flip();
      int ar = header.getInt();
      int ac = header.getInt();
      int br = header.getInt();
      int bc = header.getInt();
      FloatMatrix a = FloatMatrix.wrap(ar, ac, read(ch, Math.multiplyExact(ar, ac)));
      FloatMatrix b = FloatMatrix.wrap(br, bc, read(ch, Math.multiplyExact(br, bc)));
      return new LowRankFactors(a, b);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read spilled factors of " + name, e);
    }
  }

  @Override
  public synchronized void close() {
    inMemory.clear();
    spilled.clear();
    if (dir != null) {
      try {
        TemporaryFiles.delete(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot delete " + dir, e);
      }
      dir = null;
    }
  }

  private static void write(FileChannel ch, float[] values) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    int i = 0;
    while (i < values.length) {
      buf.clear();
      while (i < values.length && buf.remaining() >= 4) {
        buf.putFloat(values[i++]);
      }
      buf.flip();
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
  }

  private static float[] read(FileChannel ch, int count) throws IOException {
    float[] out = new float[count];
    ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    int i = 0;
    while (i < count) {
      buf.clear();
      buf.limit(Math.min(buf.capacity(), 4 * (count - i)));
      readFully(ch, buf);
      buf.flip();
      while (buf.hasRemaining()) {
        out[i++] = buf.getFloat();
      }
    }
    return out;
  }

  private static void readFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      if (ch.read(buf) < 0) {
        throw new IOException("Truncated factor file");
      }
    }
  }
}
