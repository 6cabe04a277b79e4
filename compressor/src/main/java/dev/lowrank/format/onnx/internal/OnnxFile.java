package dev.lowrank.format.onnx.internal;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.ModelProto;
import dev.lowrank.io.InputFileException;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An {@code .onnx} file parsed into a {@link ModelProto}, without copying its tensors: the file is
 * mapped into memory and the parser's {@code bytes} fields alias the mapping, so the heap holds the
 * graph's structure, not its weights. Tensors kept in external data files are resolved relative to
 * the model's folder ({@link ExternalData}).
 */
final class OnnxFile {

  /** The newest IR version lowrank has seen; larger numbers are still read, absurd ones not. */
  private static final long MAX_IR_VERSION = 100;

  private final Path path;
  private final ModelProto model;
  private final ExternalData external;

  private OnnxFile(Path path, ModelProto model, ExternalData external) {
    this.path = path;
    this.model = model;
    this.external = external;
  }

  /**
   * Parses a model file.
   *
   * @param path the {@code .onnx} file
   * @return the parsed model
   * @throws ModelFileException if the file is missing, empty, over 2 GB, not a valid protobuf
   *     message, or not an ONNX model (no IR version, no graph, no operator set)
   */
  static OnnxFile read(Path path) throws ModelFileException {
    if (!Files.isRegularFile(path)) {
      throw new ModelFileException(path, "no such file");
    }
    ModelProto model;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0) {
        throw new ModelFileException(path, "is empty, not an ONNX model");
      }
      if (size > Integer.MAX_VALUE) {
        throw new ModelFileException(
            path,
            "is "
                + size
                + " bytes; an ONNX protobuf file is at most 2 GB (larger models keep their weights"
                + " in external data files)");
      }
      MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      // A stream over an immutable buffer (which only a wrapping ByteString gives) lets the
      // parser's bytes fields alias the mapping instead of copying it.
      CodedInputStream in = UnsafeByteOperations.unsafeWrap(mapped).newCodedInput();
      in.enableAliasing(true);
      model = ModelProto.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelFileException(
          path,
          "is not a valid ONNX file: truncated or corrupt protobuf ("
              + InputFileException.quote(e.getMessage())
              + ")",
          e);
    } catch (IOException e) {
      throw new ModelFileException(path, "cannot be read (" + e.getMessage() + ")", e);
    }
    long ir = model.getIrVersion();
    if (ir < 1 || ir > MAX_IR_VERSION) {
      throw new ModelFileException(
          path,
          ir == 0
              ? "is not an ONNX model: it declares no IR version"
              : "is not an ONNX model: it declares IR version " + ir);
    }
    if (!model.hasGraph()) {
      throw new ModelFileException(path, "is not an ONNX model: it holds no graph");
    }
    if (ir >= 3 && model.getOpsetImportCount() == 0) {
      throw new ModelFileException(path, "is not an ONNX model: it imports no operator set");
    }
    return new OnnxFile(path, model, new ExternalData(path));
  }

  /**
   * Returns the file.
   *
   * @return the path as given
   */
  Path path() {
    return path;
  }

  /**
   * Returns the parsed model.
   *
   * @return the model message
   */
  ModelProto model() {
    return model;
  }

  /**
   * Returns the resolver of this model's external data.
   *
   * @return the resolver
   */
  ExternalData external() {
    return external;
  }
}
