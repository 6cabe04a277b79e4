package dev.lowrank.cli;

import dev.lowrank.compress.Allocation;
import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.TruncationMethod;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.SampleShape;
import dev.lowrank.datasets.Digits;
import dev.lowrank.eval.sweep.FidelityMetric;
import dev.lowrank.eval.sweep.SmallestModelSearch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options of data-aware compression, a mixin of {@code compress}, {@code sweep} and {@code
 * inspect}: the calibration data and how it is used (truncation method, sequential fitting, the
 * allocation of a global budget), and the search by output fidelity. {@link #apply} is the one
 * mapping of these options onto a {@link CompressionSpec}.
 */
public final class CalibrationOptions {

  /** The name that selects the bundled UCI digits training split as calibration data. */
  static final String DIGITS = "digits";

  /** The option's name, as messages give it. */
  static final String OPTION = "--calibration";

  @Option(
      names = OPTION,
      paramLabel = "DATA",
      description =
          "Calibration data for data-aware compression (default --method whitened): a CSV, .npy"
              + " or .npz (arrays named after the model's inputs, e.g. input_ids and"
              + " attention_mask), an image folder, a text file with --tokenizer, or 'digits' for"
              + " the bundled digits training split. Its labels are ignored.")
  Path calibration;

  @Option(
      names = "--calibration-samples",
      paramLabel = "N",
      description = "Use at most N calibration samples (default: 512).")
  Integer samples;

  @Option(
      names = "--calibration-mask",
      paramLabel = "NAME",
      description =
          "The model input whose zeros mark padding, left out of every statistic (default:"
              + " attention_mask, when the model has it).")
  String mask;

  @Option(
      names = "--calibration-batch",
      paramLabel = "N",
      description = "Calibration samples per forward pass (default: 32).")
  Integer batch;

  @Option(
      names = "--method",
      paramLabel = "plain|whitened|activation",
      description =
          "How W is truncated: plain (SVD of W), whitened (SVD of W C with C C^T the inputs'"
              + " Gram matrix: the best rank-r output on the data; SVD-LLM), activation (SVD of"
              + " W diag(mean|x|^alpha); ASVD). Default: whitened with --calibration, else plain.")
  TruncationMethod method;

  @Option(
      names = "--alpha",
      paramLabel = "A",
      description = "The exponent of --method activation's scaling (default: 0.5).")
  Double alpha;

  @Option(
      names = "--sequential",
      description =
          "Fit the layers in call order, each to reproduce the original model's output from the"
              + " inputs it gets once the earlier layers are compressed (two passes over the"
              + " calibration data per layer input).")
  boolean sequential;

  @Option(
      names = "--allocation",
      paramLabel = "spectrum|sensitivity",
      description =
          "How --scope global spreads its budget: spectrum (the whitened singular values, no"
              + " extra passes) or sensitivity (each layer truncated alone at a few ranks on a"
              + " bounded sample, the model's output error measured). Default: spectrum.")
  Allocation allocation;

  @Option(
      names = "--sensitivity-samples",
      paramLabel = "N",
      description = "Calibration samples each sensitivity probe runs the model on (default: 64).")
  Integer sensitivitySamples;

  @Option(
      names = "--min-fidelity",
      paramLabel = "F",
      description =
          "Instead of --max-accuracy-drop, for models without labels: find the smallest model"
              + " whose outputs on --data keep at least F fidelity to the original's (see"
              + " --fidelity), e.g. 0.99.")
  Double minFidelity;

  @Option(
      names = "--fidelity",
      paramLabel = "cosine|top1",
      defaultValue = "cosine",
      description =
          "The fidelity of --min-fidelity: the mean cosine of the output vectors, or the top-1"
              + " agreement. Default: ${DEFAULT-VALUE}.")
  FidelityMetric fidelity;

  private Calibration built;

  /**
   * Returns whether calibration data was given.
   *
   * @return {@code true} with {@code --calibration}
   */
  public boolean present() {
    return calibration != null;
  }

  /**
   * Returns this option as the text options check it.
   *
   * @return its name, whether it was given and its file
   */
  TextOptions.DataArg arg() {
    return new TextOptions.DataArg(OPTION, calibration != null, file());
  }

  /**
   * Returns the calibration file, when it is a file (for the output clash checks).
   *
   * @return the path, empty for {@code digits} or no calibration
   */
  public Optional<Path> file() {
    return calibration == null || isDigits() ? Optional.empty() : Optional.of(calibration);
  }

  /**
   * Returns the smallest fidelity asked for, if any.
   *
   * @return {@code --min-fidelity}
   */
  public Optional<Double> minFidelity() {
    return Optional.ofNullable(minFidelity);
  }

  /**
   * Returns the fidelity metric.
   *
   * @return cosine or top1
   */
  public FidelityMetric fidelity() {
    return fidelity;
  }

  /**
   * Returns the calibration the options name, built once so that every spec of a sweep or search
   * shares it (and its statistics).
   *
   * @param shape the per-sample input shape given on the command line, if any
   * @param text the command's text options: a text file is tokenized with its tokenizer
   * @return the calibration, empty without {@code --calibration}
   * @throws IllegalArgumentException naming the option if a value is out of range, or the file if
   *     it is text and no tokenizer was given
   */
  public Optional<Calibration> calibration(Optional<SampleShape> shape, TextOptions text) {
    if (calibration == null) {
      return Optional.empty();
    }
    if (built == null) {
      Calibration.Builder b = Calibration.builder();
      if (isDigits()) {
        text.refuseBundled(OPTION);
        b.setData(DataSource.of(Digits.train().withName("digits training split").withoutLabels()));
      } else {
        b.setData(
            DataSource.file(
                calibration, text.readOptions(OPTION, calibration).optUnlabeled().build()));
      }
      if (samples != null) {
        positive("--calibration-samples", samples);
        b.optSamples(samples);
      }
      if (batch != null) {
        positive("--calibration-batch", batch);
        b.optBatchSize(batch);
      }
      if (sensitivitySamples != null) {
        positive("--sensitivity-samples", sensitivitySamples);
        b.optSensitivitySamples(sensitivitySamples);
      }
      if (mask != null) {
        b.optMask(mask);
      }
      shape.ifPresent(b::optInputShape);
      built = b.build();
    }
    return Optional.of(built);
  }

  /**
   * Adds the options to a spec built from the other options.
   *
   * @param spec the spec without calibration
   * @param shape the per-sample input shape given on the command line, if any
   * @param text the command's text options
   * @return the spec with calibration, method and allocation
   * @throws IllegalArgumentException naming the option if the combination is not possible
   */
  public CompressionSpec apply(
      CompressionSpec spec, Optional<SampleShape> shape, TextOptions text) {
    check();
    CompressionSpec.Builder b = spec.toBuilder();
    calibration(shape, text).ifPresent(b::optCalibration);
    if (method != null) {
      b.optMethod(method);
    }
    if (alpha != null) {
      b.optAlpha(alpha);
    }
    b.optSequential(sequential);
    if (allocation != null) {
      b.optAllocation(allocation);
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option() + e.getMessage(), e);
    }
  }

  /**
   * Sets a search up for calibration: with calibration data, the search spends one global budget
   * (ratios, {@code --scope global}) spread by the allocation, rather than uniform settings; with
   * {@code --min-fidelity}, a model must keep that fidelity instead of an accuracy drop.
   *
   * @param search the search builder, its specs already set
   * @param maxDrop {@code --max-accuracy-drop}, when given
   */
  public void configure(SmallestModelSearch.Builder search, Optional<Double> maxDrop) {
    if (minFidelity != null && maxDrop.isPresent()) {
      throw new IllegalArgumentException("give either --max-accuracy-drop or --min-fidelity");
    }
    if (minFidelity != null) {
      search.setMinFidelity(minFidelity, fidelity);
    }
    if (calibration != null) {
      search.optGlobalBudget();
    }
  }

  /** Checks the options that need calibration data, naming them. */
  void check() {
    if (calibration == null) {
      if (method != null && method != TruncationMethod.PLAIN) {
        throw new IllegalArgumentException(
            "--method " + method.cliName() + " needs calibration data: give --calibration DATA");
      }
      for (String[] o :
          new String[][] {
            {"--sequential", sequential ? "" : null},
            {"--calibration-samples", samples == null ? null : ""},
            {"--calibration-mask", mask},
            {"--calibration-batch", batch == null ? null : ""},
            {"--sensitivity-samples", sensitivitySamples == null ? null : ""},
            {"--allocation", allocation == Allocation.SENSITIVITY ? "" : null}
          }) {
        if (o[1] != null) {
          throw new IllegalArgumentException(
              o[0] + " needs calibration data: give --calibration DATA");
        }
      }
    }
    if (alpha != null && method != TruncationMethod.ACTIVATION) {
      throw new IllegalArgumentException("--alpha is only used with --method activation");
    }
  }

  private String option() {
    if (allocation == Allocation.SENSITIVITY) {
      return "--allocation sensitivity: ";
    }
    if (sequential) {
      return "--sequential: ";
    }
    return method != null ? "--method " + method.cliName() + ": " : "--calibration: ";
  }

  private boolean isDigits() {
    return calibration.toString().equals(DIGITS) && !Files.exists(calibration);
  }

  private static void positive(String option, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(option + ": must be at least 1, got " + value);
    }
  }
}
