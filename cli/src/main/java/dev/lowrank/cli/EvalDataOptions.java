package dev.lowrank.cli;

import dev.lowrank.data.DataOptions;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.datasets.Digits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options that name evaluation data, shared by eval, sweep and compress: a CSV, {@code
 * .npy}/{@code .npz} file, image folder or (with {@link TextOptions}) text file, or {@code digits}
 * for the bundled digits test split.
 */
public final class EvalDataOptions {

  /** The name that selects the bundled UCI digits test split. */
  static final String DIGITS = "digits";

  /** The option's name, as messages give it. */
  static final String OPTION = "--data";

  @Option(
      names = OPTION,
      paramLabel = "DATA",
      description =
          "Labeled (or unlabeled) data: a CSV with a header, a .npy/.npz file (x, y; or arrays"
              + " named after the model's inputs), an image folder (one sub-folder per class), a"
              + " text file with --tokenizer, or 'digits' for the bundled digits test split (360"
              + " images).")
  Path data;

  @Option(
      names = "--label-column",
      paramLabel = "NAME",
      description = "The CSV column holding the labels (default: label).")
  String labelColumn;

  @Option(
      names = "--no-labels",
      description = "Treat the data as unlabeled: report output fidelity instead of accuracy.")
  boolean unlabeled;

  @Option(
      names = "--input-shape",
      paramLabel = "SHAPE",
      description =
          "Shape of one input sample, e.g. 1x8x8 for a CNN or 8x8 for a row transformer"
              + " (default: the DJL model's stored shape, else flat rows).")
  String inputShape;

  /**
   * Returns whether --data was given.
   *
   * @return {@code true} if there is data
   */
  public boolean present() {
    return data != null;
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
   * Returns the file or folder --data names, if it names one (not the bundled digits).
   *
   * @return the path the data is read from
   */
  public Optional<Path> file() {
    if (data == null || bundled()) {
      return Optional.empty();
    }
    return Optional.of(data);
  }

  private boolean bundled() {
    return data.toString().equals(DIGITS) && !Files.exists(data);
  }

  /**
   * Returns the data source the options name, read as text when the text options name a tokenizer.
   *
   * @param text the command's text options
   * @return the source
   * @throws IllegalArgumentException if --data is missing, or names a text file without a tokenizer
   */
  public DataSource source(TextOptions text) {
    if (data == null) {
      throw new IllegalArgumentException("give the evaluation data with --data DATA");
    }
    if (bundled()) {
      text.refuseBundled(OPTION);
      Dataset digits = digitsTest();
      return DataSource.of(unlabeled ? digits.withoutLabels() : digits);
    }
    DataOptions.Builder b = text.readOptions(OPTION, data);
    if (labelColumn != null) {
      if (text.present()) {
        throw new IllegalArgumentException(
            "--label-column names a CSV column; text labels come first on each line of a .tsv");
      }
      b.optLabelColumn(labelColumn);
    }
    if (unlabeled) {
      b.optUnlabeled();
    }
    return DataSource.file(data, b.build());
  }

  /**
   * Returns the per-sample input shape, if given.
   *
   * @return the shape
   * @throws IllegalArgumentException if the text is not a shape
   */
  public Optional<SampleShape> shape() {
    return Optional.ofNullable(inputShape).map(SampleShape::parse);
  }

  /**
   * Returns the bundled digits test split as an evaluation data set.
   *
   * @return 360 labeled samples of 64 features
   */
  static Dataset digitsTest() {
    return Digits.test().withName("digits test split");
  }
}
