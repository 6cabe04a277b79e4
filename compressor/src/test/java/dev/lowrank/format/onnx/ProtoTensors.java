package dev.lowrank.format.onnx;

import dev.lowrank.format.onnx.internal.proto.OnnxProto.ModelProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.StringStringEntryProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tests' own reading of ONNX files, independent of the format's code: protobuf's plain parser
 * on the whole file, and float32 initializers decoded from raw_data, float_data or their external
 * file.
 */
final class ProtoTensors {

  private ProtoTensors() {}

  /** A float32 initializer: its dimensions and values in row-major order. */
  record Floats(long[] dims, float[] values) {
    int rows() {
      return (int) dims[0];
    }

    int cols() {
      return (int) dims[1];
    }

    double get(int i, int j) {
      return values[i * cols() + j];
    }
  }

  static ModelProto parse(Path file) {
    try {
      return ModelProto.parseFrom(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every float32 initializer of the main graph, by name. */
  static Map<String, Floats> floatInitializers(Path file) {
    ModelProto m = parse(file);
    Map<String, Floats> out = new LinkedHashMap<>();
    for (TensorProto t : m.getGraph().getInitializerList()) {
      if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
        out.put(t.getName(), floats(file.getParent(), t));
      }
    }
    return out;
  }

  static Floats floats(Path folder, TensorProto t) {
    long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    long count = 1;
    for (long d : dims) {
      count *= d;
    }
    float[] v = new float[(int) count];
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      String location = null;
      long offset = 0;
      for (StringStringEntryProto e : t.getExternalDataList()) {
        if (e.getKey().equals("location")) {
          location = e.getValue();
        } else if (e.getKey().equals("offset")) {
          offset = Long.parseLong(e.getValue());
        }
      }
      try {
        byte[] all = Files.readAllBytes(folder.resolve(location));
        ByteBuffer.wrap(all, (int) offset, v.length * 4)
            .slice()
            .order(ByteOrder.LITTLE_ENDIAN)
            .asFloatBuffer()
            .get(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    } else if (!t.getRawData().isEmpty()) {
      t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
    } else {
      for (int i = 0; i < v.length; i++) {
        v[i] = t.getFloatData(i);
      }
    }
    return new Floats(dims, v);
  }
}
