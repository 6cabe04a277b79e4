package dev.lowrank.format.onnx.internal;

import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormat;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.AttributeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.GraphProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.ModelProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.NodeProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.SparseTensorProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.StringStringEntryProto;
import dev.lowrank.format.onnx.internal.proto.OnnxProto.TensorProto;
import dev.lowrank.io.InputFileException;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.runtime.ManifestFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An ONNX file opened as a {@link SourceModel}: parsed without copying its tensors, every tensor's
 * size and external location checked, its graph checked (no missing value, no cycle), and its
 * linear layers found ({@link LayerScan}). Weights are read one at a time from the mapped file or
 * their external data file; {@link #write} produces a new file in which the chosen layers are two
 * products through a rank-r intermediate ({@link OnnxWriter}); {@link #runner} runs the model with
 * ONNX Runtime ({@link OnnxRunner}).
 */
public final class OnnxModel implements SourceModel {

  private final ModelFormat format;
  private final OnnxFile file;
  private final OnnxGraph graph;
  private final List<OnnxLayer> scanned;
  private final Map<String, OnnxLayer> byName = new LinkedHashMap<>();
  private final List<Layer> layers;
  private final Set<Path> externalFiles;
  private final long parameters;

  private OnnxModel(ModelFormat format, OnnxFile file) throws ModelFileException {
    this.format = format;
    this.file = file;
    Set<Path> external = new LinkedHashSet<>();
    TensorWalk.visit(
        file.model(),
        (t, where) -> {
          TensorData.check(file, t, where).ifPresent(ref -> external.add(ref.file()));
          return t;
        });
    this.externalFiles = Set.copyOf(external);
    this.graph = OnnxGraph.check(file.path(), file.model());
    this.scanned = LayerScan.scan(file.model(), graph);
    List<Layer> list = new ArrayList<>();
    for (OnnxLayer l : scanned) {
      byName.put(l.name(), l);
      list.add(l.layer());
    }
    this.layers = List.copyOf(list);
    long p = 0;
    try {
      p = parameters(file.model().getGraph());
    } catch (ArithmeticException e) {
      throw new ModelFileException(file.path(), "declares more parameters than a long can count");
    }
    this.parameters = p;
  }

  /**
   * Opens a model.
   *
   * @param format the format that opens it, reported by {@link #format()}
   * @param path the {@code .onnx} file
   * @return the model, to be closed by the caller
   * @throws ModelFileException if the file is not an ONNX model lowrank can read
   */
  public static OnnxModel open(ModelFormat format, Path path) throws ModelFileException {
    return new OnnxModel(format, OnnxFile.read(path));
  }

  /** Every initializer of a parameter type, in the graph and its subgraphs. */
  private static long parameters(GraphProto g) {
    long total = 0;
    for (TensorProto t : g.getInitializerList()) {
      total = Math.addExact(total, parameterElements(t));
    }
    for (SparseTensorProto s : g.getSparseInitializerList()) {
      total = Math.addExact(total, parameterElements(s.getValues()));
    }
    for (NodeProto n : g.getNodeList()) {
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          total = Math.addExact(total, parameters(a.getG()));
        }
        for (GraphProto sub : a.getGraphsList()) {
          total = Math.addExact(total, parameters(sub));
        }
      }
    }
    return total;
  }

  private static long parameterElements(TensorProto t) {
    if (!ElementTypes.holdsParameters(t.getDataType())) {
      return 0;
    }
    long c = 1;
    for (long d : t.getDimsList()) {
      c = Math.multiplyExact(c, d);
    }
    return c;
  }

  @Override
  public Path path() {
    return file.path();
  }

  @Override
  public ModelFormat format() {
    return format;
  }

  /**
   * Returns every element of the model's initializers of a floating-point or 8- or 4-bit integer
   * type (in the main graph and its subgraphs, sparse initializers by their values): the trained
   * weights, not the shape and index constants.
   *
   * @return the parameter count
   */
  @Override
  public long parameterCount() {
    return parameters;
  }

  @Override
  public List<Layer> layers() {
    return layers;
  }

  /**
   * Returns the graph layout of each layer, in {@link #layers()} order.
   *
   * @return the scanned layers
   */
  List<OnnxLayer> scanned() {
    return scanned;
  }

  OnnxFile file() {
    return file;
  }

  OnnxGraph graph() {
    return graph;
  }

  Set<Path> externalFiles() {
    return externalFiles;
  }

  OnnxLayer layer(String name) {
    OnnxLayer l = byName.get(name);
    if (l == null) {
      throw new IllegalArgumentException(
          "No linear layer named "
              + InputFileException.quote(name)
              + " in "
              + file.path()
              + "; use a layer from layers()");
    }
    return l;
  }

  @Override
  public FloatMatrix readWeight(Layer layer) throws ModelFileException {
    OnnxLayer l = layer(layer.name());
    if (l.layer().lowRank().isPresent()) {
      throw new IllegalArgumentException(
          "Layer " + layer.name() + " is already factorized; it has no dense weight to read");
    }
    TensorProto t = graph.initializers().get(l.weight());
    FloatMatrix m =
        TensorData.readMatrix(
            file,
            t,
            l.transposedStorage(),
            "the weight " + InputFileException.quote(l.weight()) + " of layer " + layer.name());
    if (!m.isFinite()) {
      throw new ModelFileException(
          file.path(), "the weight of layer " + layer.name() + " holds NaN or infinite values");
    }
    return m;
  }

  @Override
  public ModelRunner runner(Set<String> observed) throws ModelFileException {
    return new OnnxRunner(this, observed);
  }

  @Override
  public void write(Path output, Map<String, LowRankFactors> factors, byte[] manifest)
      throws IOException, ModelFileException {
    new OnnxWriter(format, this).write(output, factors, manifest);
  }

  @Override
  public Optional<byte[]> manifest() throws ModelFileException {
    ModelProto m = file.model();
    for (StringStringEntryProto e : m.getMetadataPropsList()) {
      if (e.getKey().equals(ManifestFile.FILE_NAME)) {
        byte[] bytes = e.getValueBytes().toByteArray();
        if (bytes.length > ManifestFile.MAX_BYTES) {
          throw new ModelFileException(
              file.path(), "its lowrank manifest is " + bytes.length + " bytes, too large");
        }
        return Optional.of(bytes);
      }
    }
    return Optional.empty();
  }

  @Override
  public void close() {
    // The mapped file is released by the garbage collector; nothing else is held open.
  }
}
