package dev.lowrank.format.torchscript.internal;

import dev.lowrank.format.ConvForm;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormat;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.torchscript.internal.ModelAnalysis.Site;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyTensor;
import dev.lowrank.format.torchscript.internal.zip.ZipEntryInfo;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.runtime.ManifestFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A TorchScript archive opened as a {@link SourceModel}: its linear layers, convolutions and
 * attention projections in {@code named_modules()} order, weights read one at a time from their
 * storages, and {@link #write} producing a new archive in which the chosen layers hold two factors
 * (convolutions in either {@link ConvForm}).
 */
public final class TorchScriptModel implements SourceModel {

  private final ModelFormat format;
  private final TorchScriptArchive archive;
  private final ModelAnalysis analysis;
  private final Map<String, Site> byName = new LinkedHashMap<>();
  private final List<Layer> layers;

  private TorchScriptModel(ModelFormat format, TorchScriptArchive archive)
      throws ModelFileException {
    this.format = format;
    this.archive = archive;
    this.analysis = ModelAnalysis.of(archive);
    for (Site l : analysis.sites()) {
      byName.put(l.layer().name(), l);
    }
    this.layers = analysis.sites().stream().map(Site::layer).toList();
  }

  /**
   * Opens a model.
   *
   * @param format the format that opens it, reported by {@link #format()}
   * @param path the {@code .pt} file
   * @return the model, to be closed by the caller
   * @throws ModelFileException if the file is not a TorchScript archive lowrank can read
   */
  public static TorchScriptModel open(ModelFormat format, Path path) throws ModelFileException {
    TorchScriptArchive archive = TorchScriptArchive.open(path);
    try {
      return new TorchScriptModel(format, archive);
    } catch (ModelFileException | RuntimeException e) {
      try {
        archive.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  @Override
  public Path path() {
    return archive.path();
  }

  @Override
  public ModelFormat format() {
    return format;
  }

  @Override
  public long parameterCount() {
    return analysis.parameterCount();
  }

  @Override
  public List<Layer> layers() {
    return layers;
  }

  @Override
  public FloatMatrix readWeight(Layer layer) throws ModelFileException {
    Site l = module(layer);
    if (l.weight().isEmpty()) {
      throw new IllegalArgumentException(
          "Layer " + layer.name() + " is already factorized; it has no dense weight to read");
    }
    PyTensor w = l.weight().get();
    FloatMatrix m =
        TensorLayout.readMatrix(
            archive.zip(), archive.storageEntry(w.storage()), w, archive.byteOrder());
    if (!m.isFinite()) {
      throw new ModelFileException(
          archive.path(), "the weight of layer " + layer.name() + " holds NaN or infinite values");
    }
    return m;
  }

  private Site module(Layer layer) {
    Site l = byName.get(layer.name());
    if (l == null) {
      throw new IllegalArgumentException(
          "No linear layer named '"
              + layer.name()
              + "' in "
              + archive.path()
              + "; use a layer from layers()");
    }
    return l;
  }

  @Override
  public List<String> factorParameterNames(Layer layer) {
    if (module(layer) instanceof ModelAnalysis.ProjectionSite p) {
      // A projection's factors are attributes of its attention module, not of a module of its own.
      String attention = layer.name().substring(0, layer.name().lastIndexOf('.'));
      return List.of(
          attention + "." + p.projection().factorA(), attention + "." + p.projection().factorB());
    }
    return SourceModel.super.factorParameterNames(layer);
  }

  @Override
  public Set<ConvForm> convForms(Layer layer) {
    return EnumSet.allOf(ConvForm.class);
  }

  /**
   * Opens a runner on an instrumented copy of the archive, loaded through DJL's PyTorch engine:
   * each observed layer's forward reports its input (in call order, once per call), and weights are
   * replaced in place. Layers whose forward does not take a tensor first are never reported.
   *
   * @param observed names of layers whose inputs to report
   * @return the runner, to be closed before the model
   * @throws ModelFileException if the copy cannot be written or PyTorch cannot load it
   */
  @Override
  public ModelRunner runner(Set<String> observed) throws ModelFileException {
    return TorchScriptRunner.open(archive, byName, observed);
  }

  @Override
  public void write(Path output, Map<String, LowRankFactors> factors, byte[] manifest)
      throws IOException, ModelFileException {
    write(output, factors, Map.of(), manifest);
  }

  @Override
  public void write(
      Path output,
      Map<String, LowRankFactors> factors,
      Map<String, ConvForm> forms,
      byte[] manifest)
      throws IOException, ModelFileException {
    new ArchiveRewriter(format, archive, analysis, byName).write(output, factors, forms, manifest);
  }

  @Override
  public Optional<byte[]> manifest() throws ModelFileException {
    Optional<ZipEntryInfo> entry =
        archive.zip().find(archive.recordName("extra/" + ManifestFile.FILE_NAME));
    if (entry.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(archive.zip().readAll(entry.get(), ManifestFile.MAX_BYTES));
  }

  @Override
  public void close() {
    try {
      archive.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
