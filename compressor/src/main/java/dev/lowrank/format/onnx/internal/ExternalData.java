package dev.lowrank.format.onnx.internal;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.StringStringEntryProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto;
import dev.lowrank.io.InputFileException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Resolves and reads the external data of a model's tensors ({@code data_location: EXTERNAL}): the
 * {@code location} must name a regular file inside the model's folder (no absolute path, no {@code
 * ..}, no symbolic link leading out), and {@code offset} and {@code length} must lie within it and
 * match what the tensor's type and shape need.
 */
final class ExternalData {

  private static final Pattern DRIVE = Pattern.compile("^[A-Za-z]:.*");

  private final Path model;
  private final Path folder;
  private final Map<Path, Long> sizes = new HashMap<>();

  /**
   * Creates a resolver for the tensors of one model file.
   *
   * @param model the {@code .onnx} file (named in error messages)
   * @throws ModelFileException if the model's folder cannot be resolved
   */
  ExternalData(Path model) throws ModelFileException {
    this.model = model;
    Path parent = model.toAbsolutePath().normalize().getParent();
    try {
      this.folder = parent.toRealPath();
    } catch (IOException e) {
      throw new ModelFileException(model, "its folder cannot be resolved (" + e.getMessage() + ")");
    }
  }

  /**
   * Returns whether a tensor keeps its data outside the model file.
   *
   * @param t the tensor
   * @return {@code true} for {@code data_location: EXTERNAL}
   */
  static boolean isExternal(TensorProto t) {
    return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
  }

  /**
   * Checks a tensor's external-data entries and resolves its file.
   *
   * @param t an external tensor
   * @param expectedBytes the bytes its type and shape need, or -1 when the type has no fixed width
   * @param where the tensor as error messages name it, e.g. {@code initializer 'fc1.weight'}
   * @return the checked reference
   * @throws ModelFileException if the location is missing, escapes the model's folder, names no
   *     regular file, or the byte range does not fit the file or the tensor
   */
  ExternalRef resolve(TensorProto t, long expectedBytes, String where) throws ModelFileException {
    String location = null;
    String offsetText = null;
    String lengthText = null;
    for (StringStringEntryProto e : t.getExternalDataList()) {
      switch (e.getKey()) {
        case "location" -> location = e.getValue();
        case "offset" -> offsetText = e.getValue();
        case "length" -> lengthText = e.getValue();
        default -> {
          // "checksum" and unknown keys do not change where the bytes are.
        }
      }
    }
    if (location == null || location.isEmpty()) {
      throw fail(where + " keeps its data externally but names no location");
    }
    String quoted = InputFileException.quote(location);
    if (location.indexOf('\0') >= 0) {
      throw fail(where + " names an external data location with a NUL character");
    }
    if (location.startsWith("/")
        || location.startsWith("\\")
        || DRIVE.matcher(location).matches()) {
      throw fail(
          where
              + " keeps its data at the absolute path "
              + quoted
              + "; external data must be relative to the model's folder");
    }
    for (String segment : location.split("[/\\\\]")) {
      if (segment.equals("..")) {
        throw fail(
            where + " keeps its data at " + quoted + ", which escapes the model's folder (..)");
      }
    }
    Path file = folder.resolve(location).normalize();
    Path real;
    try {
      real = file.toRealPath();
    } catch (IOException e) {
      throw fail(
          where + " keeps its data in " + quoted + ", which does not exist next to the model");
    }
    if (!real.startsWith(folder)) {
      throw fail(
          where
              + " keeps its data in "
              + quoted
              + ", which leads out of the model's folder (a symbolic link)");
    }
    if (!Files.isRegularFile(real)) {
      throw fail(where + " keeps its data in " + quoted + ", which is not a regular file");
    }
    long size = size(real, quoted, where);
    long offset = parse(offsetText, 0, "offset", where);
    long length = parse(lengthText, -1, "length", where);
    if (offset > size) {
      throw fail(
          where
              + " starts at byte "
              + offset
              + " of "
              + quoted
              + ", past its end ("
              + size
              + " bytes)");
    }
    if (length < 0) {
      length = expectedBytes >= 0 ? expectedBytes : size - offset;
    } else if (expectedBytes >= 0 && length != expectedBytes) {
      throw fail(
          where
              + " declares "
              + length
              + " bytes of external data, but its type and shape need "
              + expectedBytes);
    }
    if (length > size - offset) {
      throw fail(
          where
              + " needs bytes "
              + offset
              + " to "
              + (offset + length)
              + " of "
              + quoted
              + ", which has only "
              + size
              + " (truncated data file?)");
    }
    return new ExternalRef(real, location, offset, length);
  }

  private long size(Path real, String quoted, String where) throws ModelFileException {
    Long known = sizes.get(real);
    if (known != null) {
      return known;
    }
    try {
      long s = Files.size(real);
      sizes.put(real, s);
      return s;
    } catch (IOException e) {
      throw fail(where + " keeps its data in " + quoted + ", which cannot be read");
    }
  }

  private long parse(String text, long absent, String key, String where) throws ModelFileException {
    if (text == null) {
      return absent;
    }
    try {
      long v = Long.parseLong(text.trim());
      if (v < 0) {
        throw new NumberFormatException("negative");
      }
      return v;
    } catch (NumberFormatException e) {
      throw fail(
          where
              + " has an external data "
              + key
              + " of "
              + InputFileException.quote(text)
              + ", not a byte count");
    }
  }

  private ModelFileException fail(String problem) {
    return new ModelFileException(model, problem);
  }

  /**
   * Maps a checked byte range into memory, little-endian.
   *
   * @param ref the range, at most 2 GB
   * @return a read-only direct buffer over exactly the range
   * @throws IOException if the file cannot be mapped
   */
  static ByteBuffer map(ExternalRef ref) throws IOException {
    if (ref.length() > Integer.MAX_VALUE) {
      throw new IOException(
          ref.location() + ": a single tensor of " + ref.length() + " bytes is over 2 GB");
    }
    try (FileChannel ch = FileChannel.open(ref.file(), StandardOpenOption.READ)) {
      return ch.map(FileChannel.MapMode.READ_ONLY, ref.offset(), ref.length())
          .order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  /**
   * Copies a checked byte range to the current position of a channel.
   *
   * @param ref the range
   * @param out the destination
   * @throws IOException if reading or writing fails
   */
  static void copy(ExternalRef ref, FileChannel out) throws IOException {
    try (FileChannel in = FileChannel.open(ref.file(), StandardOpenOption.READ)) {
      long done = 0;
      while (done < ref.length()) {
        long n = in.transferTo(ref.offset() + done, ref.length() - done, out);
        if (n <= 0) {
          throw new IOException(ref.location() + ": ended while copying its bytes");
        }
        done += n;
      }
    }
  }
}
