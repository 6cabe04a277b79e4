package dev.lowrank.zoo;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.Evaluation;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.sweep.SmallestModelSearch;
import dev.lowrank.finetune.FinetuneSpec;
import dev.lowrank.io.InputFileException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Runs a zoo example end to end: train (or load from the cache), compress, evaluate on the
 * example's test data with the eval module. What {@code lowrank zoo run} and {@code lowrank zoo
 * table} do.
 */
public final class ZooRunner {

  /** The most training samples a {@link Setting.Finetuned} run distills on. */
  public static final int FINETUNE_SAMPLES = 10_000;

  private ZooRunner() {}

  /**
   * How to compress: a rank policy, whitened truncation at a policy's ranks, a rank policy followed
   * by fine-tuning, or the smallest model within an accuracy drop.
   */
  public sealed interface Setting
      permits Setting.Policy, Setting.Whitened, Setting.Finetuned, Setting.MaxDrop {

    /**
     * A fixed policy.
     *
     * @param policy the rank policy
     */
    record Policy(RankPolicy policy) implements Setting {
      @Override
      public String describe() {
        return policy.describe();
      }
    }

    /**
     * Whitened truncation (calibrated on the example's training split) at exactly the ranks the
     * plain compression with a policy gives: the same weights, other factors.
     *
     * @param policy the rank policy of the plain compression whose ranks are kept
     */
    record Whitened(RankPolicy policy) implements Setting {
      @Override
      public String describe() {
        return "whitened, " + policy.describe() + "'s ranks";
      }
    }

    /**
     * A fixed policy, then fine-tuning of the factors by distillation on (at most {@value
     * #FINETUNE_SAMPLES} samples of) the example's training split, with the default settings.
     *
     * @param policy the rank policy
     */
    record Finetuned(RankPolicy policy) implements Setting {
      @Override
      public String describe() {
        return policy.describe() + " + fine-tune";
      }
    }

    /**
     * A search for the smallest model whose accuracy drop stays within a limit.
     *
     * @param maxDrop the limit, a fraction
     */
    record MaxDrop(double maxDrop) implements Setting {
      @Override
      public String describe() {
        return "max drop "
            + java.math.BigDecimal.valueOf(maxDrop).stripTrailingZeros().toPlainString();
      }
    }

    /**
     * Returns the setting in the CLI's words.
     *
     * @return e.g. {@code energy 0.9} or {@code max drop 0.01}
     */
    String describe();
  }

  /**
   * The outcome of one run.
   *
   * @param example the example
   * @param setting the setting asked for
   * @param original the trained or shipped model
   * @param compressed the compressed model, empty when a search found no model within its drop
   * @param report the evaluation of the compressed model, empty when there is none
   * @param search the search, for a {@link Setting.MaxDrop}
   */
  public record Run(
      Example example,
      Setting setting,
      Path original,
      Optional<Path> compressed,
      Optional<EvalReport> report,
      Optional<SearchResult> search) {}

  /**
   * Trains or loads, compresses and evaluates an example.
   *
   * @param example the example
   * @param setting how to compress
   * @param workDir where compressed models are written
   * @param batchSizes the batch sizes to time (empty: no latency)
   * @param progress reports progress
   * @return the outcome
   * @throws IOException if training, data or output fails
   * @throws InputFileException if a model cannot be read or evaluated
   */
  public static Run run(
      Example example, Setting setting, Path workDir, List<Integer> batchSizes, Progress progress)
      throws IOException, InputFileException {
    Path original = model(example);
    SampleShape shape = SampleShape.of(example.sampleShape().getShape());
    Dataset test = example.testData(Integer.MAX_VALUE).withName(example.name() + " test split");
    String slug = setting.describe().replace(' ', '-').replaceAll("[^A-Za-z0-9.-]", "");
    Path out =
        workDir.resolve(
            example.name() + "-" + slug + (original.toString().endsWith(".pt") ? ".pt" : ""));
    Optional<SearchResult> search = Optional.empty();
    if (setting instanceof Setting.Policy p) {
      Compressor.compress(original, out, example.spec(p.policy()));
    } else if (setting instanceof Setting.Whitened w) {
      Path plainOut =
          workDir.resolve(
              example.name()
                  + "-plain-"
                  + slug
                  + (original.toString().endsWith(".pt") ? ".pt" : ""));
      CompressionResult plain = Compressor.compress(original, plainOut, example.spec(w.policy()));
      Compressor.compress(
          original, out, SameWeights.whitened(plain, SameWeights.calibration(example)));
    } else if (setting instanceof Setting.Finetuned f) {
      FinetuneSpec finetune =
          FinetuneSpec.builder()
              .setData(
                  example.trainData(FINETUNE_SAMPLES).withName(example.name() + " train split"))
              .optInputShape(shape)
              .build();
      Compressor.compress(
          original,
          out,
          CompressionSpec.builder().setPolicy(f.policy()).optFinetune(finetune).build());
    } else {
      double maxDrop = ((Setting.MaxDrop) setting).maxDrop();
      SearchResult result =
          SmallestModelSearch.builder()
              .setModel(original)
              .setData(DataSource.of(test))
              .setMaxAccuracyDrop(maxDrop)
              .optInputShape(shape)
              .optOutput(out)
              .optSpecs(example::spec)
              .optProgress(progress)
              .build()
              .run();
      search = Optional.of(result);
      if (result.chosen().isEmpty()) {
        return new Run(example, setting, original, Optional.empty(), Optional.empty(), search);
      }
    }
    Evaluation.Builder eval =
        Evaluation.builder()
            .setOriginal(original)
            .setCompressed(out)
            .setData(test)
            .optInputShape(shape)
            .optProgress(progress);
    if (batchSizes.isEmpty()) {
      eval.optSkipLatency();
    } else {
      eval.optBatchSizes(batchSizes);
    }
    if (setting instanceof Setting.MaxDrop m) {
      eval.optMaxAccuracyDrop(m.maxDrop());
    }
    EvalReport report = eval.build().run();
    return new Run(example, setting, original, Optional.of(out), Optional.of(report), search);
  }

  /**
   * Returns an example's model, training a DJL example first if the cache lacks it.
   *
   * @param example the example
   * @return a DJL model directory or a TorchScript file
   * @throws IOException if training or writing the cache fails
   */
  public static Path model(Example example) throws IOException {
    return example.model(ExampleTrainer.cacheRoot());
  }
}
