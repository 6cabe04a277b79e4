package dev.lowrank.format.onnx.internal;

import com.google.protobuf.UnsafeByteOperations;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormat;
import dev.lowrank.format.onnx.internal.OnnxLayer.Op;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.AttributeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.GraphProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.ModelProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.NodeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.StringStringEntryProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.ValueInfoProto;
import dev.lowrank.io.InputFileException;
import dev.lowrank.io.OutputFiles;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.runtime.ManifestFile;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Writes a copy of an ONNX model in which chosen layers are factorized: a {@code MatMul(x, W^T)}
 * becomes {@code MatMul(MatMul(x, A^T), B^T)} through a rank-r intermediate, a {@code Gemm(x, W,
 * C)} becomes a {@code MatMul} (or, with transA or alpha, a {@code Gemm}) for {@code x A^T} and a
 * {@code Gemm} with the original C and beta for the second factor. The factors are initializers
 * {@code <layer>.lowrank_a} ({@code m x r}, holding {@code A^T}) and {@code <layer>.lowrank_b}
 * ({@code r x n}, holding {@code B^T}); the original weight initializer is removed; the bias {@code
 * Add} and everything else is kept as it was (IR version, operator sets, metadata, fields lowrank's
 * schema does not know). The manifest goes into {@code metadata_props} under {@code
 * lowrank-manifest.json}.
 *
 * <p>A model whose tensors are in external data files is written the same way: every external
 * tensor, and every factor, goes into one data file next to the output ({@code <output>.data}),
 * copied range by range, never through the heap. The output is written to a temporary file, read
 * back and checked, and only then moved onto the output.
 */
final class OnnxWriter {

  /** External tensors of at least this many bytes start at a multiple of 4096 (for mmap). */
  private static final long PAGE_ALIGNED_FROM = 1 << 16;

  private final ModelFormat format;
  private final OnnxModel source;
  private final OnnxFile file;
  private final OnnxGraph graph;

  OnnxWriter(ModelFormat format, OnnxModel source) {
    this.format = format;
    this.source = source;
    this.file = source.file();
    this.graph = source.graph();
  }

  /** A layer to factorize and the names of what it adds to the graph. */
  private record Chosen(OnnxLayer layer, String a, String b, String mid) {}

  void write(Path output, Map<String, LowRankFactors> factors, byte[] manifest)
      throws IOException, ModelFileException {
    if (OutputFiles.sameFile(output, file.path())) {
      throw new IllegalArgumentException(
          "The output " + output + " is the input; write the compressed model to another file");
    }
    Map<Integer, Chosen> chosen = choose(factors);
    boolean external = !source.externalFiles().isEmpty();
    Path data = output.resolveSibling(output.getFileName() + ".data");
    if (external) {
      checkDataTarget(output, data);
    }
    try {
      OutputFiles.writeFile(
          output,
          tmp -> {
            boolean dataWritten = false;
            try {
              ModelProto[] built = new ModelProto[1];
              if (external) {
                OutputFiles.writeFile(
                    data,
                    tmpData -> {
                      try (FileChannel ch =
                          FileChannel.open(
                              tmpData, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                        built[0] =
                            build(chosen, factors, manifest, new DataFile(ch, data.getFileName()));
                        ch.force(true);
                      }
                    });
                dataWritten = true;
              } else {
                built[0] = build(chosen, factors, manifest, null);
              }
              try (FileChannel ch =
                      FileChannel.open(
                          tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
                  OutputStream os =
                      new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20)) {
                built[0].writeTo(os);
                os.flush();
                ch.force(true);
              }
              verify(tmp, chosen, factors);
            } catch (IOException | InputFileException | RuntimeException e) {
              if (dataWritten) {
                Files.deleteIfExists(data);
              }
              throw e;
            }
          });
    } catch (ModelFileException e) {
      throw e;
    } catch (InputFileException e) {
      throw new ModelFileException(e.file(), e.getMessage(), e);
    }
  }

  /** Refuses a data file path that holds the input's data or something lowrank did not write. */
  private void checkDataTarget(Path output, Path data) {
    for (Path in : source.externalFiles()) {
      if (OutputFiles.sameFile(in, data)) {
        throw new IllegalArgumentException(
            data
                + ": the output's data file would overwrite the input's external data; choose"
                + " another --out name");
      }
    }
    if (Files.exists(data, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.isRegularFile(data, LinkOption.NOFOLLOW_LINKS)) {
        throw new IllegalArgumentException(
            data + ": exists and is not a regular file; choose another --out name");
      }
      if (!Files.exists(output)) {
        throw new IllegalArgumentException(
            data
                + ": exists and is not the data file of a lowrank output; remove it or choose"
                + " another --out name");
      }
    }
  }

  private Map<Integer, Chosen> choose(Map<String, LowRankFactors> factors)
      throws ModelFileException {
    Map<Integer, Chosen> chosen = new LinkedHashMap<>();
    Set<String> fresh = new HashSet<>();
    for (String name : factors.keySet()) {
      OnnxLayer l = source.layer(name);
      Layer layer = l.layer();
      if (layer.lowRank().isPresent()) {
        throw new IllegalArgumentException(
            "Layer " + name + " is already factorized; leave it out of the factors");
      }
      if (layer.ineligible().isPresent()) {
        throw new IllegalArgumentException(
            "Layer " + name + " must stay dense: " + layer.ineligible().get());
      }
      Chosen c =
          new Chosen(
              l, name + LayerScan.FACTOR_A, name + LayerScan.FACTOR_B, name + ".lowrank_mid");
      for (String n : List.of(c.a(), c.b(), c.mid())) {
        if (graph.isTaken(n) || !fresh.add(n)) {
          throw new ModelFileException(
              file.path(),
              "already holds a value named "
                  + InputFileException.quote(n)
                  + ", the name lowrank gives a factor of layer "
                  + name);
        }
      }
      chosen.put(l.node(), c);
    }
    return chosen;
  }

  private static void checkFactors(Layer l, LowRankFactors f) {
    if (f.a().cols() != l.inFeatures() || f.b().rows() != l.outFeatures() || f.rank() < 1) {
      throw new IllegalArgumentException(
          "Factors of "
              + l.name()
              + " are A "
              + f.a().shape()
              + " and B "
              + f.b().shape()
              + "; the layer needs A r x "
              + l.inFeatures()
              + " and B "
              + l.outFeatures()
              + " x r");
    }
    if (!f.a().isFinite() || !f.b().isFinite()) {
      throw new IllegalArgumentException("Factors of " + l.name() + " hold NaN or infinity");
    }
  }

  /** The output's external data file, filled tensor by tensor. */
  private static final class DataFile {
    private final FileChannel channel;
    private final String location;

    DataFile(FileChannel channel, Path name) {
      this.channel = channel;
      this.location = name.toString();
    }

    /** Pads to the tensor's alignment and returns the offset its bytes will start at. */
    long start(long bytes) throws IOException {
      long align = bytes >= PAGE_ALIGNED_FROM ? 4096 : 64;
      long pos = channel.position();
      long pad = (align - pos % align) % align;
      if (pad > 0) {
        channel.write(ByteBuffer.allocate((int) pad));
      }
      return channel.position();
    }

    TensorProto external(TensorProto t, long offset, long length) {
      return t.toBuilder()
          .clearRawData()
          .clearExternalData()
          .setDataLocation(TensorProto.DataLocation.EXTERNAL)
          .addExternalData(entry("location", location))
          .addExternalData(entry("offset", Long.toString(offset)))
          .addExternalData(entry("length", Long.toString(length)))
          .build();
    }

    TensorProto copy(OnnxFile from, TensorProto t, String where)
        throws IOException, ModelFileException {
      ExternalRef ref = TensorData.check(from, t, where).orElseThrow();
      long offset = start(ref.length());
      ExternalData.copy(ref, channel);
      return external(t, offset, ref.length());
    }

    TensorProto put(TensorProto header, ByteBuffer bytes) throws IOException {
      long offset = start(bytes.remaining());
      long length = bytes.remaining();
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      return external(header, offset, length);
    }
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  /** Builds the output model; with {@code data}, every external tensor and factor goes there. */
  private ModelProto build(
      Map<Integer, Chosen> chosen,
      Map<String, LowRankFactors> factors,
      byte[] manifest,
      DataFile data)
      throws IOException, ModelFileException {
    ModelProto model = file.model();
    Set<String> removed = new HashSet<>();
    for (Chosen c : chosen.values()) {
      removed.add(c.layer().weight());
    }
    GraphProto g = model.getGraph();
    GraphProto.Builder gb = g.toBuilder().clearInitializer().clearValueInfo();
    for (TensorProto t : g.getInitializerList()) {
      if (!removed.contains(t.getName())) {
        gb.addInitializer(t);
      }
    }
    for (ValueInfoProto v : g.getValueInfoList()) {
      if (!removed.contains(v.getName())) {
        gb.addValueInfo(v);
      }
    }
    ModelProto.Builder mb = model.toBuilder().setGraph(gb.build()).clearMetadataProps();
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      if (!e.getKey().equals(ManifestFile.FILE_NAME)) {
        mb.addMetadataProps(e);
      }
    }
    mb.addMetadataProps(
        entry(ManifestFile.FILE_NAME, new String(manifest, StandardCharsets.UTF_8)));
    ModelProto m = mb.build();
    if (data != null) {
      m =
          TensorWalk.map(
              m, (t, where) -> ExternalData.isExternal(t) ? data.copy(file, t, where) : t);
    }
    GraphProto mg = m.getGraph();
    GraphProto.Builder out = mg.toBuilder().clearNode();
    List<NodeProto> nodes = mg.getNodeList();
    for (int i = 0; i < nodes.size(); i++) {
      Chosen c = chosen.get(i);
      if (c == null) {
        out.addNode(nodes.get(i));
        continue;
      }
      Layer l = c.layer().layer();
      LowRankFactors f = factors.get(l.name());
      checkFactors(l, f);
      out.addInitializer(factor(c.a(), f.a(), data));
      out.addInitializer(factor(c.b(), f.b(), data));
      rewrite(nodes.get(i), c, out);
    }
    return m.toBuilder().setGraph(out.build()).build();
  }

  /** A factor {@code F} stored transposed, {@code F^T}, as MatMul's right operand. */
  private static TensorProto factor(String name, FloatMatrix f, DataFile data) throws IOException {
    TensorProto header =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .addDims(f.cols())
            .addDims(f.rows())
            .build();
    ByteBuffer bytes = TensorData.littleEndian(f, true);
    if (data != null) {
      return data.put(header, bytes);
    }
    // The buffer is new and never written again: the tensor may hold it without a copy.
    return header.toBuilder().setRawData(UnsafeByteOperations.unsafeWrap(bytes)).build();
  }

  /** Adds the two products that replace one layer's node. */
  private static void rewrite(NodeProto node, Chosen c, GraphProto.Builder out) {
    String x = node.getInput(0);
    String firstName =
        (node.getName().isEmpty() ? c.layer().name() : node.getName()) + "/lowrank_a";
    NodeProto.Builder first =
        NodeProto.newBuilder()
            .setName(firstName)
            .setDomain(node.getDomain())
            .addInput(x)
            .addInput(c.a())
            .addOutput(c.mid());
    if (c.layer().op() == Op.MATMUL) {
      out.addNode(first.setOpType("MatMul").build());
      out.addNode(node.toBuilder().setInput(0, c.mid()).setInput(1, c.b()).build());
      return;
    }
    long transA = LayerScan.attributeOf(node, "transA").map(AttributeProto::getI).orElse(0L);
    float alpha = LayerScan.attributeOf(node, "alpha").map(AttributeProto::getF).orElse(1f);
    if (transA == 0 && alpha == 1f) {
      first.setOpType("MatMul");
    } else {
      first.setOpType("Gemm");
      if (transA != 0) {
        first.addAttribute(
            AttributeProto.newBuilder()
                .setName("transA")
                .setType(AttributeProto.AttributeType.INT)
                .setI(transA));
      }
      if (alpha != 1f) {
        first.addAttribute(
            AttributeProto.newBuilder()
                .setName("alpha")
                .setType(AttributeProto.AttributeType.FLOAT)
                .setF(alpha));
      }
    }
    out.addNode(first.build());
    NodeProto.Builder second = node.toBuilder().clearAttribute().setInput(0, c.mid());
    second.setInput(1, c.b());
    for (AttributeProto a : node.getAttributeList()) {
      if (!a.getName().equals("alpha")
          && !a.getName().equals("transA")
          && !a.getName().equals("transB")) {
        second.addAttribute(a);
      }
    }
    out.addNode(second.build());
  }

  /** Reads the written file back and checks that it holds what was asked for. */
  private void verify(Path written, Map<Integer, Chosen> chosen, Map<String, LowRankFactors> f) {
    Map<String, Integer> ranks = new LinkedHashMap<>();
    long expected = source.parameterCount();
    for (Chosen c : chosen.values()) {
      Layer l = c.layer().layer();
      int r = f.get(l.name()).rank();
      ranks.put(l.name(), r);
      expected +=
          (long) r * (l.outFeatures() + l.inFeatures()) - (long) l.outFeatures() * l.inFeatures();
    }
    try (OnnxModel back = OnnxModel.open(format, written)) {
      List<Layer> before = source.layers();
      List<Layer> after = back.layers();
      boolean ok = before.size() == after.size() && back.parameterCount() == expected;
      for (int i = 0; ok && i < before.size(); i++) {
        Layer b = before.get(i);
        Layer a = after.get(i);
        Integer r = ranks.get(b.name());
        ok =
            r == null
                ? a.equals(b)
                : a.name().equals(b.name())
                    && a.outFeatures() == b.outFeatures()
                    && a.inFeatures() == b.inFeatures()
                    && a.hasBias() == b.hasBias()
                    && a.lowRank().equals(OptionalInt.of(r));
      }
      if (!ok) {
        throw new IllegalStateException(
            "lowrank wrote an ONNX file that does not read back as planned (layers "
                + after
                + ", "
                + back.parameterCount()
                + " parameters, expected "
                + expected
                + "); this is a bug, please report it with the model");
      }
    } catch (ModelFileException e) {
      throw new IllegalStateException(
          "lowrank wrote an ONNX file it cannot read back (" + e.getMessage() + "); this is a bug",
          e);
    }
  }
}
