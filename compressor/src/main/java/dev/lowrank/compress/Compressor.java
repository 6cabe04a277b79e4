package dev.lowrank.compress;

import ai.djl.Model;
import dev.lowrank.compress.internal.CompressionRun;
import dev.lowrank.compress.internal.FinetuneStep;
import dev.lowrank.compress.internal.Spectra;
import dev.lowrank.finetune.Finetuner;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormat;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.djl.DjlSourceModel;
import dev.lowrank.io.Fingerprint;
import dev.lowrank.io.InputFileException;
import dev.lowrank.io.OutputFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The entry point of the compressor: replaces each chosen layer {@code y = W x + b} of a model by
 * {@code y = B (A x) + b}, with {@code B A} the best rank-{@code r} approximation of {@code W}
 * (truncated SVD, Eckart-Young).
 *
 * <pre>{@code
 * CompressionSpec spec = CompressionSpec.builder().setPolicy(RankPolicy.energy(0.9)).build();
 * CompressionResult result = Compressor.compress(Path.of("mlp.pt"), Path.of("mlp-lr.pt"), spec);
 * System.out.println(result.parametersOriginal() + " -> " + result.parametersCompressed());
 * }</pre>
 */
public final class Compressor {

  private Compressor() {}

  /**
   * Returns this lowrank's version, as manifests record it.
   *
   * @return the version string, e.g. {@code 0.1.0}
   */
  public static String version() {
    return ManifestJson.toolVersion();
  }

  /**
   * Compresses a model file (TorchScript) or directory (DJL) and writes the result, with the
   * manifest embedded. The input is never modified; the output appears whole or not at all; an
   * existing output is replaced only when lowrank wrote it.
   *
   * @param input the model to compress
   * @param output where to write the compressed model (a file for TorchScript, a directory for
   *     DJL); never the input
   * @param spec the settings
   * @return what was done, layer by layer
   * @throws ModelFileException if the input is missing, not a model, corrupt, or holds NaN or
   *     infinite weights
   * @throws dev.lowrank.data.DataFileException if the spec's calibration or fine-tuning data cannot
   *     be read or does not fit the model (names, shapes, dtypes), is empty, or holds NaN or
   *     infinite values
   * @throws IOException if the output cannot be written
   * @throws IllegalArgumentException if the output is the input or something lowrank must not
   *     replace, or the spec does not fit the model (fine-tuning a format DJL cannot train
   *     included)
   */
  public static CompressionResult compress(Path input, Path output, CompressionSpec spec)
      throws InputFileException, IOException {
    return compress(input, output, spec, Overwrite.LOWRANK_OUTPUTS);
  }

  /**
   * Compresses a model file or directory and writes the result, as {@link #compress(Path, Path,
   * CompressionSpec)} does, replacing an existing output file as {@code overwrite} allows.
   *
   * @param input the model to compress
   * @param output where to write the compressed model; never the input
   * @param spec the settings
   * @param overwrite what an existing output may be
   * @return what was done, layer by layer
   * @throws ModelFileException if the input is not a usable model
   * @throws dev.lowrank.data.DataFileException if the calibration or fine-tuning data cannot be
   *     used
   * @throws IOException if the output cannot be written
   * @throws IllegalArgumentException if the output must not be replaced or the spec does not fit
   */
  public static CompressionResult compress(
      Path input, Path output, CompressionSpec spec, Overwrite overwrite)
      throws InputFileException, IOException {
    ModelFormat format = checkOutput(input, output, overwrite);
    spec.finetune().ifPresent(f -> Finetuner.checkTrainable(format.name()));
    try (SourceModel model = format.open(input);
        CompressionRun.Outcome outcome =
            CompressionRun.run(
                model,
                spec,
                Optional.of(input.getFileName().toString()),
                Optional.of(hash(input)))) {
      FinetuneStep.Tuned tuned =
          spec.finetune().isPresent()
              ? FinetuneStep.apply(model, outcome, spec.finetune().get())
              : new FinetuneStep.Tuned(outcome.result(), outcome.factors());
      model.write(output, tuned.factors(), outcome.forms(), manifestBytes(tuned.result()));
      return tuned.result();
    }
  }

  /**
   * Checks, before any work, that a compression of {@code input} may write {@code output}: what
   * {@link #compress(Path, Path, CompressionSpec, Overwrite)} checks first, for callers that
   * compress at the end of a longer run (a search) and must refuse a bad output at its start.
   *
   * @param input the model to compress
   * @param output where its compressed form would go
   * @param overwrite what an existing output may be
   * @return the input's format
   * @throws ModelFileException if the input is not a model lowrank can read
   * @throws IllegalArgumentException if the output is the input, lies inside it, or is something
   *     that must not be replaced
   */
  public static ModelFormat checkOutput(Path input, Path output, Overwrite overwrite)
      throws ModelFileException {
    ModelFormat format = ModelFormats.detect(input);
    OutputFiles.checkTarget(
        input,
        output,
        format.outputKind(),
        overwrite == Overwrite.ANY_REGULAR_FILE,
        format::isLowrankOutput);
    return format;
  }

  /**
   * Compresses a DJL model in memory, in place: its {@code Linear} blocks are replaced by {@link
   * dev.lowrank.runtime.LowRankLinear} blocks. Save it afterwards with {@link #save}.
   *
   * @param model a DJL model with an initialized block; the caller keeps ownership
   * @param spec the settings
   * @return what was done, layer by layer
   * @throws ModelFileException if a weight holds NaN or infinite values, or the rewritten model
   *     would not compute what the factors say
   * @throws dev.lowrank.data.DataFileException if the calibration data cannot be used
   * @throws IllegalArgumentException if the spec asks for fine-tuning, which needs the model's
   *     files
   */
  public static CompressionResult compress(Model model, CompressionSpec spec)
      throws InputFileException {
    if (spec.finetune().isPresent()) {
      throw new IllegalArgumentException(
          "fine-tuning needs the model's directory (the student is trained on a second copy):"
              + " save the model and compress it with compress(Path, Path, spec)");
    }
    DjlSourceModel source = DjlSourceModel.wrap(model);
    try (CompressionRun.Outcome outcome =
        CompressionRun.run(source, spec, Optional.empty(), Optional.empty())) {
      source.rewrite(outcome.factors(), outcome.forms());
      return outcome.result();
    }
  }

  /**
   * Saves a DJL model compressed in memory ({@link #compress(Model, CompressionSpec)}) as a model
   * directory that DJL's {@code Criteria} loads with the lowrank runtime on the classpath: the
   * parameters, a {@code serving.properties} naming {@link dev.lowrank.runtime.LowRankBlockFactory}
   * and the original block factory (with the model directory's other serving properties, when the
   * model was loaded from one), and the manifest.
   *
   * @param model the compressed model
   * @param result what {@link #compress(Model, CompressionSpec)} returned for it
   * @param output the model directory to write; an existing one is replaced only when lowrank wrote
   *     it
   * @param baseBlockFactory the class name of the {@code BlockFactory} that builds the original
   *     model's blocks (it must be on the loader's classpath)
   * @throws IOException if the directory cannot be written
   * @throws ModelFileException if the model cannot be saved
   * @throws IllegalArgumentException if something that is not a lowrank output is at {@code output}
   */
  public static void save(
      Model model, CompressionResult result, Path output, String baseBlockFactory)
      throws IOException, ModelFileException {
    save(DjlSourceModel.wrap(model, baseBlockFactory), model, result, output);
  }

  /**
   * Saves a DJL model compressed in memory that was loaded from a model directory, naming the block
   * factory that directory's {@code serving.properties} names.
   *
   * @param model the compressed model, loaded from a directory with a {@code serving.properties}
   * @param result what {@link #compress(Model, CompressionSpec)} returned for it
   * @param output the model directory to write
   * @throws IOException if the directory cannot be written
   * @throws ModelFileException if the model's directory names no block factory
   * @throws IllegalArgumentException if something that is not a lowrank output is at {@code output}
   */
  public static void save(Model model, CompressionResult result, Path output)
      throws IOException, ModelFileException {
    save(DjlSourceModel.wrap(model), model, result, output);
  }

  private static void save(
      DjlSourceModel source, Model model, CompressionResult result, Path output)
      throws IOException, ModelFileException {
    ModelFormat format = ModelFormats.djl();
    OutputFiles.checkTarget(
        model.getModelPath(), output, format.outputKind(), false, format::isLowrankOutput);
    source.write(output, Map.of(), manifestBytes(result));
  }

  /**
   * Describes a model's factorizable layers and, for the dense ones, their spectra.
   *
   * @param input the model file or directory
   * @return the summary
   * @throws ModelFileException if the input is not a usable model
   */
  public static ModelSummary inspect(Path input) throws ModelFileException {
    try (SourceModel model = ModelFormats.open(input)) {
      List<LayerSummary> layers = new ArrayList<>();
      for (Layer layer : model.layers()) {
        layers.add(
            new LayerSummary(
                layer, layer.lowRank().isPresent() ? Optional.empty() : Spectra.of(model, layer)));
      }
      Optional<CompressionResult> manifest = Optional.empty();
      Optional<byte[]> bytes = model.manifest();
      if (bytes.isPresent()) {
        manifest =
            Optional.of(ManifestJson.parse(new String(bytes.get(), StandardCharsets.UTF_8), input));
      }
      return new ModelSummary(
          input, model.format().name(), model.parameterCount(), layers, manifest);
    }
  }

  /**
   * Describes a model's layers as {@link #inspect(Path)} does and adds, for each dense layer the
   * calibration data reaches, the spectrum of its whitened weight {@code W C} ({@code C C^T} the
   * Gram matrix of its inputs): the ranks that keep a share of its output energy on the data.
   *
   * @param input the model file or directory
   * @param calibration the data
   * @return the summary, its layers holding {@link LayerSummary#dataSpectrum()}
   * @throws ModelFileException if the input is not a usable model
   * @throws dev.lowrank.data.DataFileException if the calibration data cannot be used
   */
  public static ModelSummary inspect(Path input, Calibration calibration)
      throws InputFileException {
    try (SourceModel model = ModelFormats.open(input)) {
      Map<String, LayerSpectrum> data = CompressionRun.dataSpectra(model, calibration);
      List<LayerSummary> layers = new ArrayList<>();
      for (Layer layer : model.layers()) {
        layers.add(
            new LayerSummary(
                layer,
                layer.lowRank().isPresent() ? Optional.empty() : Spectra.of(model, layer),
                Optional.ofNullable(data.get(layer.name()))));
      }
      Optional<CompressionResult> manifest = Optional.empty();
      Optional<byte[]> bytes = model.manifest();
      if (bytes.isPresent()) {
        manifest =
            Optional.of(ManifestJson.parse(new String(bytes.get(), StandardCharsets.UTF_8), input));
      }
      return new ModelSummary(
          input, model.format().name(), model.parameterCount(), layers, manifest);
    }
  }

  /**
   * Computes the spectra of a model's dense layers whose smaller side is at most {@code maxSide}
   * (larger ones are skipped to bound the time), as inspect does.
   *
   * @param input a model file or directory
   * @param maxSide the largest {@code min(n, m)} to decompose
   * @return one spectrum per decomposed layer with a non-zero weight, in model order
   * @throws ModelFileException if the model cannot be opened or a weight read
   */
  public static List<LayerSpectrum> spectra(Path input, int maxSide) throws ModelFileException {
    List<LayerSpectrum> spectra = new ArrayList<>();
    try (SourceModel model = ModelFormats.open(input)) {
      for (Layer layer : model.layers()) {
        int k = Math.min(layer.outFeatures(), layer.inFeatures());
        if (layer.lowRank().isEmpty() && k > 0 && k <= maxSide) {
          Spectra.of(model, layer).ifPresent(spectra::add);
        }
      }
    }
    return spectra;
  }

  /**
   * Reads the manifest a model carries when lowrank wrote it.
   *
   * @param input a model file or directory
   * @return the manifest, empty for a model lowrank did not write
   * @throws ModelFileException if the model cannot be opened or its manifest is malformed
   */
  public static Optional<CompressionResult> manifest(Path input) throws ModelFileException {
    try (SourceModel model = ModelFormats.open(input)) {
      Optional<byte[]> bytes = model.manifest();
      if (bytes.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(
          ManifestJson.parse(new String(bytes.get(), StandardCharsets.UTF_8), input));
    }
  }

  static byte[] manifestBytes(CompressionResult result) {
    return ManifestJson.toJson(result).getBytes(StandardCharsets.UTF_8);
  }

  private static String hash(Path input) throws ModelFileException {
    try {
      return Fingerprint.sha256(input);
    } catch (IOException e) {
      throw new ModelFileException(input, "cannot be read (" + e.getMessage() + ")", e);
    }
  }
}
