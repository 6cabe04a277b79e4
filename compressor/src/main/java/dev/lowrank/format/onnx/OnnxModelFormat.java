package dev.lowrank.format.onnx;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormat;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.onnx.internal.OnnxModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * ONNX models: {@code .onnx} files (a protobuf {@code ModelProto}, IR version 3 and later), with
 * their tensors inside the file or in external data files next to it, as ONNX Runtime and DJL's
 * OnnxRuntime engine load them.
 *
 * <p>lowrank reads such a file with protobuf-java and message classes generated from the ONNX
 * specification, without running it and without copying its tensors onto the heap. The linear
 * layers are the {@code MatMul} nodes whose right operand and the {@code Gemm} nodes whose {@code
 * B} is a 2-D initializer; each is named after its node ({@code
 * /encoder/layer.0/attention/self/query/MatMul} is listed as {@code
 * encoder.layer.0.attention.self.query}). A weight shared by several nodes, read by another op, fed
 * as a graph input or not float32, and quantized products, stay dense with the reason. Writing
 * replaces each chosen layer by two products through a rank-r intermediate, {@code x A^T} and then
 * {@code B^T} (initializers {@code <layer>.lowrank_a} and {@code <layer>.lowrank_b}), keeping the
 * bias {@code Add} or Gemm's {@code C}, the IR version and the operator sets, and embeds the
 * manifest in {@code metadata_props} under {@code lowrank-manifest.json}. Models lowrank runs for
 * calibration run through ONNX Runtime's Java API.
 */
public final class OnnxModelFormat implements ModelFormat {

  @Override
  public String name() {
    return "onnx";
  }

  /**
   * Accepts a regular file whose name ends in {@code .onnx}, or whose first bytes are those of an
   * ONNX model (field 1, the IR version, a small number, followed by another top-level field).
   *
   * @param path an existing file or directory
   * @return whether {@link #open(Path)} should be tried
   */
  @Override
  public boolean accepts(Path path) {
    if (!Files.isRegularFile(path)) {
      return false;
    }
    if (path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx")) {
      return true;
    }
    try (InputStream in = Files.newInputStream(path)) {
      byte[] head = in.readNBytes(3);
      if (head.length < 3 || head[0] != 0x08 || head[1] < 1 || head[1] > 20) {
        return false;
      }
      // The next key: producer_name (2), producer_version (3), domain (4), model_version (5),
      // doc_string (6), graph (7), opset_import (8) or metadata_props (14).
      int key = head[2] & 0xff;
      return key == 0x12
          || key == 0x1a
          || key == 0x22
          || key == 0x28
          || key == 0x32
          || key == 0x3a
          || key == 0x42
          || key == 0x72;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public SourceModel open(Path path) throws ModelFileException {
    if (Files.isDirectory(path)) {
      throw new ModelFileException(path, "is a directory, not an ONNX file");
    }
    if (!Files.exists(path)) {
      throw new ModelFileException(path, "no such file");
    }
    return OnnxModel.open(this, path);
  }
}
