package dev.lowrank.format.onnx.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.format.onnx.OnnxFixtures;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parse does not copy tensors onto the heap: every {@code raw_data} the parser returns is a
 * view of the mapped file (a direct buffer), which is what lets a 1 GB model open within a small
 * heap.
 */
class OnnxFileTest {

  @TempDir Path dir;

  @Test
  void rawDataAliasesTheMappedFile() throws Exception {
    OnnxFile f = OnnxFile.read(OnnxFixtures.get("mlp.onnx").copyTo(dir));
    assertEquals(6, f.model().getGraph().getInitializerCount());
    for (TensorProto t : f.model().getGraph().getInitializerList()) {
      assertTrue(t.getRawData().size() > 0, t.getName());
      assertTrue(t.getRawData().asReadOnlyByteBuffer().isDirect(), t.getName() + " is a view");
    }
  }
}
