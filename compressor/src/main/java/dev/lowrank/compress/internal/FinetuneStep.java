package dev.lowrank.compress.internal;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.data.DataFileException;
import dev.lowrank.finetune.FinetuneOutcome;
import dev.lowrank.finetune.FinetuneSpec;
import dev.lowrank.finetune.Finetuner;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The compressor's step between truncation and writing: fine-tunes the factors a truncation
 * produced, whatever produced them, and returns the result to record (each trained layer's error
 * measured again on its trained factors, the fine-tuning's report added) with the factors to write.
 */
public final class FinetuneStep {

  private FinetuneStep() {}

  /**
   * What to write after fine-tuning.
   *
   * @param result the result to record in the manifest
   * @param factors the trained factors
   */
  public record Tuned(CompressionResult result, Map<String, LowRankFactors> factors) {}

  /**
   * Fine-tunes the factors of a compression run.
   *
   * @param model the opened original model
   * @param outcome the truncation's result and factors
   * @param spec the fine-tuning settings
   * @return the result and factors to write
   * @throws ModelFileException if the model cannot be trained or a weight read again
   * @throws DataFileException if the fine-tuning data cannot be used
   * @throws IOException if a temporary file cannot be written
   */
  public static Tuned apply(SourceModel model, CompressionRun.Outcome outcome, FinetuneSpec spec)
      throws ModelFileException, DataFileException, IOException {
    FinetuneOutcome tuned = Finetuner.finetune(model, outcome.factors(), spec);
    List<LayerResult> layers = new ArrayList<>();
    for (LayerResult l : outcome.result().layers()) {
      LowRankFactors f = tuned.factors().get(l.name());
      if (f == null || !l.factorized()) {
        layers.add(l);
        continue;
      }
      FloatMatrix w = CompressionRun.readFinite(model, l.layer());
      double error = f.residualNorm(w) / Math.sqrt(w.frobeniusNormSquared());
      layers.add(
          new LayerResult(
              l.layer(),
              l.status(),
              l.rank(),
              l.reason(),
              l.parametersBefore(),
              l.parametersAfter(),
              l.energyKept(),
              error,
              l.svd(),
              l.data(),
              l.form()));
    }
    return new Tuned(outcome.result().withFinetune(layers, tuned.report()), tuned.factors());
  }
}
