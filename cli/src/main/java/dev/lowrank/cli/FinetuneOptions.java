package dev.lowrank.cli;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.data.DataOptions;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.SampleShape;
import dev.lowrank.datasets.Digits;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.eval.progress.ProgressBars;
import dev.lowrank.finetune.FinetuneEpoch;
import dev.lowrank.finetune.FinetuneLoss;
import dev.lowrank.finetune.FinetuneProgress;
import dev.lowrank.finetune.FinetuneReport;
import dev.lowrank.finetune.FinetuneSpec;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options of fine-tuning after truncation ({@code compress --finetune DATA ...}): the data, the
 * loss and the training settings, mapped once to a {@link FinetuneSpec}.
 */
public final class FinetuneOptions {

  /** The name that selects the bundled UCI digits training split (never the test split). */
  static final String DIGITS_TRAIN = "digits-train";

  /** The option's name, as messages give it. */
  static final String OPTION = "--finetune";

  /** The label column value that reads a CSV without labels. */
  static final String NO_LABEL_COLUMN = "none";

  @Option(
      names = OPTION,
      paramLabel = "DATA",
      description =
          "After truncation, train the factors B and A of the factorized layers on DATA,"
              + " everything else frozen, and write the trained factors. DATA is what --data"
              + " takes (CSV, .npy/.npz, image folder, a text file with --tokenizer) or"
              + " 'digits-train' for the bundled digits training split; never the evaluation"
              + " split. By default by distillation from the original model, so no labels are"
              + " needed. Only DJL model directories and TorchScript files can be trained in Java"
              + " (ONNX models are refused).")
  Path data;

  @Option(
      names = "--finetune-epochs",
      paramLabel = "N",
      description =
          "Most epochs of fine-tuning (default: 10); it stops earlier when the held-out"
              + " fidelity stops improving.")
  Integer epochs;

  @Option(
      names = "--finetune-lr",
      paramLabel = "LR",
      description = "Adam's learning rate for fine-tuning (default: 0.0005).")
  Float learningRate;

  @Option(
      names = "--finetune-batch-size",
      paramLabel = "B",
      description = "Samples per fine-tuning step (default: 32).")
  Integer batchSize;

  @Option(
      names = "--finetune-loss",
      paramLabel = "kl|cosine|mse",
      description =
          "The distillation loss: kl (softmax, temperature 2) for classifiers, cosine (1 -"
              + " cosine) or mse for embedding models, on per-token outputs mean-pooled over"
              + " the attention mask. Default: kl for [batch, classes] outputs, cosine for"
              + " per-token outputs.")
  String loss;

  @Option(
      names = "--finetune-labels",
      description =
          "Train on the data's labels by cross-entropy instead of distilling the original"
              + " model.")
  boolean labels;

  @Option(
      names = "--finetune-label-column",
      paramLabel = "NAME",
      description =
          "The CSV column holding the labels (default: label); 'none' reads every column as a"
              + " feature (unlabeled data for distillation).")
  String labelColumn;

  @Option(
      names = "--finetune-held-out",
      paramLabel = "X",
      description =
          "Share of the fine-tuning data held out to score each epoch, never trained on"
              + " (default: 0.1).")
  Double heldOut;

  @Option(
      names = "--finetune-patience",
      paramLabel = "N",
      description = "Epochs without a held-out improvement before stopping (default: 3).")
  Integer patience;

  /**
   * Returns whether --finetune was given.
   *
   * @return {@code true} to fine-tune
   */
  public boolean present() {
    return data != null;
  }

  /**
   * Returns the spec with fine-tuning added when --finetune was given, else the spec itself.
   *
   * @param spec the truncation settings
   * @param inputShape the per-sample input shape (--input-shape), if given
   * @param text the command's text options: a text file is tokenized with its tokenizer
   * @return the spec to compress with
   * @throws IllegalArgumentException if a --finetune-* option is given without --finetune, or a
   *     value is out of range
   */
  public CompressionSpec addTo(
      CompressionSpec spec, Optional<SampleShape> inputShape, TextOptions text) {
    if (data == null) {
      List<String> given = given();
      if (!given.isEmpty()) {
        throw new IllegalArgumentException(
            String.join(", ", given) + " only apply with --finetune DATA");
      }
      return spec;
    }
    if (labels && loss != null) {
      throw new IllegalArgumentException(
          "--finetune-labels trains by cross-entropy on the labels; drop --finetune-loss");
    }
    if (labels && NO_LABEL_COLUMN.equals(labelColumn)) {
      throw new IllegalArgumentException(
          "--finetune-labels needs labels; name their CSV column with --finetune-label-column");
    }
    FinetuneSpec.Builder b =
        FinetuneSpec.builder().setData(source(text)).optProgress(bar(ProgressBars.auto()));
    if (epochs != null) {
      b.optEpochs(epochs);
    }
    if (learningRate != null) {
      b.optLearningRate(learningRate);
    }
    if (batchSize != null) {
      b.optBatchSize(batchSize);
    }
    if (heldOut != null) {
      b.optHeldOut(heldOut);
    }
    if (patience != null) {
      b.optPatience(patience);
    }
    if (labels) {
      b.optLabels();
    } else if (loss != null) {
      FinetuneLoss parsed = FinetuneLoss.parse(loss);
      if (!parsed.distills()) {
        throw new IllegalArgumentException("--finetune-loss: use --finetune-labels instead");
      }
      b.optLoss(parsed);
    }
    inputShape.ifPresent(b::optInputShape);
    return spec.withFinetune(b.build());
  }

  /**
   * Returns this option as the text options check it.
   *
   * @return its name, whether it was given and its file
   */
  TextOptions.DataArg arg() {
    return new TextOptions.DataArg(OPTION, data != null, file());
  }

  /**
   * Returns the fine-tuning data file, when it is a file (for the output clash checks).
   *
   * @return the path, empty for {@code digits-train} or no fine-tuning
   */
  public Optional<Path> file() {
    if (data == null || (data.toString().equals(DIGITS_TRAIN) && !Files.exists(data))) {
      return Optional.empty();
    }
    return Optional.of(data);
  }

  /**
   * Refuses fine-tuning together with an option that does not support it.
   *
   * @param option the other option
   * @throws IllegalArgumentException if --finetune was given
   */
  public void refuseWith(String option) {
    if (data != null) {
      throw new IllegalArgumentException(
          "--finetune cannot be combined with " + option + "; compress at a fixed setting");
    }
  }

  /**
   * Prints what fine-tuning did: one line per epoch and the summary.
   *
   * @param result the compression's result
   * @param out where to print
   */
  public static void print(CompressionResult result, PrintWriter out) {
    if (result.finetune().isEmpty()) {
      return;
    }
    FinetuneReport f = result.finetune().get();
    for (FinetuneEpoch e : f.epochs()) {
      out.println(
          String.format(
              Locale.ROOT,
              "epoch %2d  train loss %.4f  held-out loss %.4f  held-out %s %s  %.2f s%s",
              e.epoch(),
              e.trainLoss(),
              e.heldOutLoss(),
              f.fidelity().jsonName(),
              fidelity(f, e.heldOutFidelity()),
              e.seconds(),
              e.epoch() == f.bestEpoch() ? "  (kept)" : ""));
    }
    out.println(f.summary());
  }

  private static String fidelity(FinetuneReport f, double value) {
    return f.fidelity() == FinetuneReport.Fidelity.COSINE
        ? String.format(Locale.ROOT, "%.4f", value)
        : String.format(Locale.ROOT, "%.2f%%", 100 * value);
  }

  /** Shows each epoch as a bar on a terminal, labelled with the last epoch's losses. */
  static FinetuneProgress bar(Progress progress) {
    return new FinetuneProgress() {
      private Progress.Step step;
      private String last = "";

      @Override
      public void epochStarted(int epoch, int epochs, int steps) {
        step = progress.start("fine-tune epoch " + epoch + "/" + epochs + last, steps);
      }

      @Override
      public void stepDone(double loss) {
        step.advance(1);
      }

      @Override
      public void epochEnded(FinetuneEpoch epoch) {
        step.close();
        last =
            String.format(
                Locale.ROOT,
                " (loss %.4f, held-out %.4f)",
                epoch.trainLoss(),
                epoch.heldOutFidelity());
      }
    };
  }

  private DataSource source(TextOptions text) {
    if (data.toString().equals(DIGITS_TRAIN) && !Files.exists(data)) {
      text.refuseBundled(OPTION);
      return DataSource.of(Digits.train().withName("digits training split"));
    }
    DataOptions.Builder b = text.readOptions(OPTION, data);
    if (labelColumn != null && !NO_LABEL_COLUMN.equals(labelColumn) && text.present()) {
      throw new IllegalArgumentException(
          "--finetune-label-column names a CSV column; text labels come first on each line of a"
              + " .tsv ('none' ignores them)");
    }
    if (NO_LABEL_COLUMN.equals(labelColumn)) {
      b.optUnlabeled();
    } else if (labelColumn != null) {
      b.optLabelColumn(labelColumn);
    }
    return DataSource.file(data, b.build());
  }

  private List<String> given() {
    List<String> given = new ArrayList<>();
    if (epochs != null) {
      given.add("--finetune-epochs");
    }
    if (learningRate != null) {
      given.add("--finetune-lr");
    }
    if (batchSize != null) {
      given.add("--finetune-batch-size");
    }
    if (loss != null) {
      given.add("--finetune-loss");
    }
    if (labels) {
      given.add("--finetune-labels");
    }
    if (labelColumn != null) {
      given.add("--finetune-label-column");
    }
    if (heldOut != null) {
      given.add("--finetune-held-out");
    }
    if (patience != null) {
      given.add("--finetune-patience");
    }
    return given;
  }
}
