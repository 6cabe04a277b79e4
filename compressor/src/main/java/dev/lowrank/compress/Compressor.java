package dev.lowrank.compress;

import ai.djl.Model;
import dev.lowrank.compress.internal.CompressionRun;
import dev.lowrank.compress.internal.Fingerprint;
import dev.lowrank.format.LinearLayer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormat;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.djl.DjlSourceModel;
import dev.lowrank.format.internal.AtomicOutput;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.TruncatedSvd;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The entry point of the compressor: replaces each chosen linear layer {@code y = W x + b} of a
 * model by {@code y = B (A x) + b}, with {@code B A} the best rank-{@code r} approximation of
 * {@code W} (truncated SVD, Eckart-Young).
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
   * Compresses a model file (TorchScript) or directory (DJL) and writes the result, with the
   * manifest embedded. The input is never modified; the output appears whole or not at all.
   *
   * @param input the model to compress
   * @param output where to write the compressed model (a file for TorchScript, a directory for
   *     DJL); never the input
   * @param spec the settings
   * @return what was done, layer by layer
   * @throws ModelFileException if the input is missing, not a model, corrupt, or holds NaN or
   *     infinite weights
   * @throws IOException if the output cannot be written
   * @throws IllegalArgumentException if the output is the input, or the spec does not fit the model
   */
  public static CompressionResult compress(Path input, Path output, CompressionSpec spec)
      throws ModelFileException, IOException {
    ModelFormat format = ModelFormats.detect(input);
    AtomicOutput.checkTarget(input, output, format.writesDirectory());
    try (SourceModel model = format.open(input);
        CompressionRun.Outcome outcome =
            CompressionRun.run(
                model,
                spec,
                Optional.of(input.getFileName().toString()),
                Optional.of(hash(input)))) {
      model.write(output, outcome.factors(), outcome.result());
      return outcome.result();
    }
  }

  /**
   * Compresses a DJL model in memory, in place: its {@code Linear} blocks are replaced by {@link
   * dev.lowrank.format.djl.LowRankLinear} blocks. Save it afterwards with {@code model.save} and a
   * {@code serving.properties} naming {@link dev.lowrank.format.djl.LowRankBlockFactory}, or use
   * {@link #compress(Path, Path, CompressionSpec)} on the saved model.
   *
   * @param model a DJL model with an initialized block; the caller keeps ownership
   * @param spec the settings
   * @return what was done, layer by layer
   * @throws ModelFileException if a weight holds NaN or infinite values, or the rewritten model
   *     would not compute what the factors say
   */
  public static CompressionResult compress(Model model, CompressionSpec spec)
      throws ModelFileException {
    DjlSourceModel source = DjlSourceModel.wrap(model);
    try (CompressionRun.Outcome outcome =
        CompressionRun.run(source, spec, Optional.empty(), Optional.empty())) {
      source.rewrite(outcome.factors());
      return outcome.result();
    }
  }

  /**
   * Describes a model's linear layers and the ranks energy thresholds 0.9 and 0.99 would need.
   *
   * @param input the model file or directory
   * @return the summary
   * @throws ModelFileException if the input is not a usable model
   */
  public static ModelSummary inspect(Path input) throws ModelFileException {
    try (SourceModel model = ModelFormats.open(input)) {
      List<LayerSummary> layers = new ArrayList<>();
      for (LinearLayer layer : model.linearLayers()) {
        if (layer.lowRank().isPresent()) {
          layers.add(
              new LayerSummary(layer, OptionalInt.empty(), OptionalInt.empty(), new float[0]));
          continue;
        }
        FloatMatrix w = model.readWeight(layer);
        if (!w.isFinite() || w.frobeniusNormSquared() == 0) {
          layers.add(
              new LayerSummary(layer, OptionalInt.empty(), OptionalInt.empty(), new float[0]));
          continue;
        }
        float[] s = SvdBackends.singularValues(w);
        layers.add(
            new LayerSummary(
                layer,
                OptionalInt.of(TruncatedSvd.rankForEnergy(s, w.frobeniusNormSquared(), 0.9)),
                OptionalInt.of(TruncatedSvd.rankForEnergy(s, w.frobeniusNormSquared(), 0.99)),
                s));
      }
      return new ModelSummary(
          input, model.format().name(), model.parameterCount(), layers, model.manifest());
    }
  }

  private static String hash(Path input) throws ModelFileException {
    try {
      return Fingerprint.sha256(input);
    } catch (IOException e) {
      throw new ModelFileException(input, "cannot be read (" + e.getMessage() + ")", e);
    }
  }
}
