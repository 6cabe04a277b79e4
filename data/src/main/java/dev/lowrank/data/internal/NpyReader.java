package dev.lowrank.data.internal;

import dev.lowrank.data.DataFileException;
import dev.lowrank.data.DataOptions;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.io.InputFileException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads NumPy {@code .npy} arrays and {@code .npz} archives of them: format versions 1 to 3,
 * little-endian float32, float64, int32, int64 or uint8 (and int8), C order.
 */
public final class NpyReader {

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
  private static final int MAX_HEADER = 1 << 16;
  private static final Pattern VALID_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private NpyReader() {}

  /**
   * An array read from a {@code .npy} stream.
   *
   * @param shape its dimensions
   * @param values its values as floats, C order
   * @param dtype the NumPy type, e.g. {@code <f4}
   * @param integral whether the type is an integer type
   * @param longs its values as int64 for an integer type (exact), else {@code null}
   */
  public record NpyArray(
      long[] shape, float[] values, String dtype, boolean integral, long[] longs) {}

  /**
   * Reads a {@code .npy} file of features.
   *
   * @param path the file
   * @return the unlabeled samples, the first axis being the sample axis
   * @throws DataFileException if the file is not a supported {@code .npy} array, or empty
   */
  public static Dataset readNpy(Path path) throws DataFileException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
      NpyArray x = read(in, Files.size(path), path, "the array");
      return features(path, "npy", x).build();
    } catch (IOException e) {
      throw new DataFileException(path, "cannot be read (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Reads a {@code .npz} archive holding {@code x} and, optionally, {@code y}.
   *
   * @param path the archive
   * @param options whether to ignore labels
   * @return the samples
   * @throws DataFileException if the archive lacks {@code x}, holds an unsupported array, or the
   *     sizes of {@code x} and {@code y} differ
   */
  public static Dataset readNpz(Path path, DataOptions options) throws DataFileException {
    try (ZipFile zip = new ZipFile(path.toFile())) {
      ZipEntry xEntry = zip.getEntry("x.npy");
      ZipEntry yEntry = zip.getEntry("y.npy");
      if (xEntry == null) {
        return readNamedInputs(path, zip, options);
      }
      NpyArray x;
      try (InputStream in = new BufferedInputStream(zip.getInputStream(xEntry))) {
        x = read(in, xEntry.getSize(), path, "array 'x'");
      }
      Dataset.Builder b = features(path, "npz", x);
      if (yEntry != null && !options.unlabeled()) {
        NpyArray y;
        try (InputStream in = new BufferedInputStream(zip.getInputStream(yEntry))) {
          y = read(in, yEntry.getSize(), path, "array 'y'");
        }
        b.optLabels(labels(path, x.shape()[0], "'x'", y));
      }
      return b.build();
    } catch (ZipException e) {
      throw new DataFileException(path, "is not a valid .npz (zip) archive", e);
    } catch (IOException e) {
      throw new DataFileException(path, "cannot be read (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Reads one {@code .npy} array from a stream.
   *
   * @param in the stream, positioned at the magic string
   * @param available the bytes the stream holds, or -1 if unknown
   * @param path the file, for messages
   * @param what the array's description, for messages
   * @return the array
   * @throws DataFileException if the stream is not a supported {@code .npy} array
   * @throws IOException if reading fails
   */
  public static NpyArray read(InputStream in, long available, Path path, String what)
      throws DataFileException, IOException {
    DataInputStream data = new DataInputStream(in);
    try {
      byte[] magic = new byte[MAGIC.length];
      data.readFully(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new DataFileException(path, what + " is not a NumPy .npy array (bad magic)");
      }
      int major = data.readUnsignedByte();
      data.readUnsignedByte();
      long headerLength;
      int preamble;
      if (major == 1) {
        headerLength = Short.toUnsignedInt(Short.reverseBytes(data.readShort()));
        preamble = 10;
      } else if (major == 2 || major == 3) {
        headerLength = Integer.toUnsignedLong(Integer.reverseBytes(data.readInt()));
        preamble = 12;
      } else {
        throw new DataFileException(
            path, what + " has .npy format version " + major + " (this reader knows 1 to 3)");
      }
      if (headerLength > MAX_HEADER) {
        throw new DataFileException(path, what + " has an implausible header length");
      }
      byte[] headerBytes = new byte[(int) headerLength];
      data.readFully(headerBytes);
      String header = new String(headerBytes, StandardCharsets.UTF_8);
      String dtype = match(DESCR, header, path, what, "descr");
      if (match(FORTRAN, header, path, what, "fortran_order").equals("True")) {
        throw new DataFileException(
            path,
            what + " is stored in Fortran order; save it in C order (numpy.ascontiguousarray)");
      }
      long[] shape = parseShape(match(SHAPE, header, path, what, "shape"), path, what);
      Type type = Type.of(dtype, path, what);
      long count = 1;
      for (long d : shape) {
        count = Math.multiplyExact(count, d);
      }
      long bytes = Math.multiplyExact(count, (long) type.size);
      if (count > Integer.MAX_VALUE - 8
          || (available >= 0 && bytes > available - preamble - headerLength)) {
        throw new DataFileException(
            path,
            what
                + " declares shape "
                + Arrays.toString(shape)
                + " ("
                + bytes
                + " bytes) but the file is "
                + (available >= 0 ? "only " + available + " bytes" : "too large to read"));
      }
      byte[] raw = new byte[(int) bytes];
      data.readFully(raw);
      return new NpyArray(
          shape,
          type.decode(raw, (int) count),
          dtype,
          type.integral,
          type.integral ? type.decodeLongs(raw, (int) count) : null);
    } catch (EOFException e) {
      throw new DataFileException(path, what + " is truncated", e);
    } catch (ArithmeticException e) {
      throw new DataFileException(path, what + " declares an impossibly large shape", e);
    }
  }

  /**
   * Reads an archive whose arrays (other than {@code y}) are model inputs named after the model's
   * forward arguments, e.g. {@code input_ids} and {@code attention_mask}: integer arrays become
   * int64 inputs, float arrays float32 ones.
   */
  private static Dataset readNamedInputs(Path path, ZipFile zip, DataOptions options)
      throws DataFileException, IOException {
    List<ZipEntry> entries = new ArrayList<>();
    Enumeration<? extends ZipEntry> all = zip.entries();
    while (all.hasMoreElements()) {
      ZipEntry e = all.nextElement();
      if (!e.isDirectory()) {
        entries.add(e);
      }
    }
    Dataset.Builder b =
        Dataset.builder().setName(path.getFileName().toString()).optSource(path).optFormat("npz");
    long n = -1;
    String first = null;
    NpyArray y = null;
    List<String> names = new ArrayList<>();
    List<NpyArray> arrays = new ArrayList<>();
    for (ZipEntry e : entries) {
      String file = e.getName();
      if (!file.endsWith(".npy")) {
        throw new DataFileException(
            path, "entry " + InputFileException.quote(file) + " is not a .npy array");
      }
      String name = file.substring(0, file.length() - 4);
      if (!VALID_NAME.matcher(name).matches()) {
        throw new DataFileException(
            path,
            "array "
                + InputFileException.quote(name)
                + " is not named like a forward argument (letters, digits, _)");
      }
      String what = "array '" + name + "'";
      NpyArray a;
      try (InputStream in = new BufferedInputStream(zip.getInputStream(e))) {
        a = read(in, e.getSize(), path, what);
      }
      if (name.equals("y")) {
        y = a;
        continue;
      }
      names.add(name);
      arrays.add(a);
    }
    for (int k = 0; k < arrays.size(); k++) {
      if (arrays.get(k).shape().length < 2) {
        throw new DataFileException(
            path,
            "holds no array 'x' (arrays: "
                + arrayNames(zip)
                + "), and array '"
                + names.get(k)
                + "' of shape "
                + shapeText(arrays.get(k).shape())
                + " is no model input (inputs have a sample axis and at least one more); save"
                + " features as numpy.savez(file, x=features, y=labels), or name the arrays after"
                + " the model's forward arguments (input_ids=..., attention_mask=...)");
      }
    }
    for (int k = 0; k < arrays.size(); k++) {
      String name = names.get(k);
      String what = "array '" + name + "'";
      NpyArray a = arrays.get(k);
      if (a.shape()[0] == 0 || a.values().length == 0) {
        throw new DataFileException(path, what + " holds no samples");
      }
      if (n >= 0 && a.shape()[0] != n) {
        throw new DataFileException(
            path, what + " holds " + a.shape()[0] + " samples but '" + first + "' holds " + n);
      }
      if (n < 0) {
        n = a.shape()[0];
        first = name;
      }
      SampleShape sample = SampleShape.of(Arrays.copyOfRange(a.shape(), 1, a.shape().length));
      if (a.integral()) {
        if (name.equals("attention_mask")) {
          for (long v : a.longs()) {
            if (v != 0 && v != 1) {
              throw new DataFileException(
                  path, what + " holds " + v + "; an attention mask holds 0 and 1 only");
            }
          }
        }
        b.addInput(name, sample, a.longs());
      } else {
        checkFinite(path, what, a);
        b.addInput(name, sample, a.values());
      }
    }
    if (y != null && !options.unlabeled()) {
      b.optLabels(labels(path, n, "'" + first + "'", y));
    }
    return b.build();
  }

  private static void checkFinite(Path path, String what, NpyArray a) throws DataFileException {
    float[] v = a.values();
    int width = (int) (v.length / a.shape()[0]);
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        throw new DataFileException(
            path,
            what + " sample " + (i / width) + " holds " + v[i] + "; every value must be finite");
      }
    }
  }

  private static Dataset.Builder features(Path path, String format, NpyArray x)
      throws DataFileException {
    if (x.shape().length == 0) {
      throw new DataFileException(path, "holds a scalar, not an array of samples");
    }
    long n = x.shape()[0];
    if (n == 0 || x.values().length == 0) {
      throw new DataFileException(path, "holds no samples (shape " + shapeText(x.shape()) + ")");
    }
    int width = (int) (x.values().length / n);
    float[] v = x.values();
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        throw new DataFileException(
            path, "sample " + (i / width) + " holds " + v[i] + "; every value must be finite");
      }
    }
    long[] sample = Arrays.copyOfRange(x.shape(), 1, x.shape().length);
    Dataset.Builder b =
        Dataset.builder()
            .setName(path.getFileName().toString())
            .optSource(path)
            .optFormat(format)
            .setFeatures(x.values(), width);
    if (sample.length > 1) {
      b.optShape(SampleShape.of(sample));
    }
    return b;
  }

  private static int[] labels(Path path, long n, String inputs, NpyArray y)
      throws DataFileException {
    boolean column = y.shape().length == 2 && y.shape()[1] == 1;
    if (!(y.shape().length == 1 || column) || y.shape()[0] != n) {
      throw new DataFileException(
          path,
          "array 'y' has shape "
              + shapeText(y.shape())
              + " but "
              + inputs
              + " holds "
              + n
              + " samples; y must have shape ("
              + n
              + ",)");
    }
    int[] labels = new int[(int) n];
    for (int i = 0; i < n; i++) {
      float v = y.values()[i];
      Optional<String> problem = Labels.problem(v);
      if (problem.isPresent()) {
        throw new DataFileException(path, "y[" + i + "] = " + v + " " + problem.get());
      }
      labels[i] = (int) v;
    }
    return labels;
  }

  private static String match(Pattern p, String header, Path path, String what, String key)
      throws DataFileException {
    Matcher m = p.matcher(header);
    if (!m.find()) {
      throw new DataFileException(path, what + " has a .npy header without '" + key + "'");
    }
    return m.group(1);
  }

  private static long[] parseShape(String text, Path path, String what) throws DataFileException {
    List<Long> dims = new ArrayList<>();
    for (String part : text.split(",")) {
      String t = part.trim();
      if (t.isEmpty()) {
        continue;
      }
      try {
        long d = Long.parseLong(t.endsWith("L") ? t.substring(0, t.length() - 1) : t);
        if (d < 0) {
          throw new NumberFormatException("negative");
        }
        dims.add(d);
      } catch (NumberFormatException e) {
        throw new DataFileException(path, what + " has a malformed shape (" + text + ")", e);
      }
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  private static String shapeText(long[] shape) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sb.append(i > 0 ? ", " : "").append(shape[i]);
    }
    return sb.append(shape.length == 1 ? ",)" : ")").toString();
  }

  private static String arrayNames(ZipFile zip) {
    List<String> names = new ArrayList<>();
    Enumeration<? extends ZipEntry> entries = zip.entries();
    while (entries.hasMoreElements()) {
      String name = entries.nextElement().getName();
      names.add(name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name);
    }
    return names.isEmpty() ? "none" : String.join(", ", names);
  }

  /** The element types this reader decodes. */
  private enum Type {
    F4(4, false),
    F8(8, false),
    I1(1, true),
    U1(1, true),
    I4(4, true),
    I8(8, true);

    final int size;
    final boolean integral;

    Type(int size, boolean integral) {
      this.size = size;
      this.integral = integral;
    }

    static Type of(String dtype, Path path, String what) throws DataFileException {
      if (dtype.length() == 3 && dtype.charAt(0) == '>' && dtype.charAt(2) != '1') {
        throw new DataFileException(
            path,
            what + " is big-endian (" + dtype + "); save it little-endian, e.g. x.astype('<f4')");
      }
      switch (dtype) {
        case "<f4":
          return F4;
        case "<f8":
          return F8;
        case "<i4":
          return I4;
        case "<i8":
          return I8;
        case "|u1":
        case "<u1":
        case ">u1":
          return U1;
        case "|i1":
        case "<i1":
        case ">i1":
          return I1;
        default:
          throw new DataFileException(
              path,
              what
                  + " has element type "
                  + dtype
                  + "; use float32, float64, int32, int64 or uint8 (little-endian)");
      }
    }

    long[] decodeLongs(byte[] raw, int count) {
      ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
      long[] out = new long[count];
      for (int i = 0; i < count; i++) {
        out[i] =
            switch (this) {
              case I1 -> buf.get();
              case U1 -> Byte.toUnsignedInt(buf.get());
              case I4 -> buf.getInt();
              case I8 -> buf.getLong();
              case F4, F8 -> throw new IllegalStateException("not an integer type: " + this);
            };
      }
      return out;
    }

    float[] decode(byte[] raw, int count) {
      ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
      float[] out = new float[count];
      for (int i = 0; i < count; i++) {
        out[i] =
            switch (this) {
              case F4 -> buf.getFloat();
              case F8 -> (float) buf.getDouble();
              case I1 -> buf.get();
              case U1 -> Byte.toUnsignedInt(buf.get());
              case I4 -> buf.getInt();
              case I8 -> (float) buf.getLong();
            };
      }
      return out;
    }
  }
}
