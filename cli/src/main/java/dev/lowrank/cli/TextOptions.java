package dev.lowrank.cli;

import dev.lowrank.cli.internal.Outputs;
import dev.lowrank.data.DataOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options for text data, a mixin of every command that reads data: {@code --tokenizer} turns
 * each data file the command reads ({@code --data}, {@code --calibration}, {@code --finetune}) into
 * token inputs, one text per line ({@code label<TAB>text} in a {@code .tsv}), and {@code
 * --max-length} caps the tokens per text. The one mapping of these options onto the data module's
 * read options: the data mixins ask {@link #readOptions} for theirs.
 */
public final class TextOptions {

  /** The option's name, as messages give it. */
  static final String TOKENIZER = "--tokenizer";

  @Option(
      names = TOKENIZER,
      paramLabel = "TOKENIZER.json",
      description =
          "Read the data files this command is given (--data, --calibration, --finetune) as"
              + " text, one text per line (label<TAB>text in a .tsv), tokenized with this Hugging"
              + " Face tokenizer.json into input_ids, attention_mask and token_type_ids.")
  Path tokenizer;

  @Option(
      names = "--max-length",
      paramLabel = "N",
      description =
          "With --tokenizer: the most tokens a text keeps (default: the tokenizer's own,"
              + " e.g. 128).")
  Integer maxLength;

  /**
   * Returns whether the data is read as text.
   *
   * @return {@code true} with {@code --tokenizer}
   */
  public boolean present() {
    return tokenizer != null;
  }

  /**
   * Returns the read options of a data file: the tokenizer and the maximum length when given.
   *
   * @param option the data option naming the file, e.g. {@code --calibration}
   * @param file the file
   * @return a builder of the read options, for the caller to add its own (labels)
   * @throws IllegalArgumentException naming the file when it is text but no tokenizer was given, or
   *     naming {@code --max-length} when its value is out of range
   */
  DataOptions.Builder readOptions(String option, Path file) {
    check();
    DataOptions.Builder b = DataOptions.builder();
    if (tokenizer == null) {
      if (isTextName(file)) {
        throw new IllegalArgumentException(
            file
                + ": "
                + option
                + " names a text file (one text per line); add "
                + TOKENIZER
                + " TOKENIZER.json, the model's Hugging Face tokenizer, to read it");
      }
      return b;
    }
    b.optTokenizer(tokenizer);
    if (maxLength != null) {
      OptionErrors.named("--max-length", () -> b.optMaxLength(maxLength));
    }
    return b;
  }

  /**
   * Refuses text options on a bundled data set, which is not text.
   *
   * @param option the data option, e.g. {@code --calibration}
   * @throws IllegalArgumentException when {@code --tokenizer} was given
   */
  void refuseBundled(String option) {
    if (tokenizer != null) {
      throw new IllegalArgumentException(
          option
              + " names the bundled digits set, which is not text; drop "
              + TOKENIZER
              + " or give a text file");
    }
  }

  /**
   * A data option of a command, as the text options see it.
   *
   * @param option its name, e.g. {@code --calibration}
   * @param given whether the command line gave it
   * @param file the file it names, empty for a bundled set or when not given
   */
  record DataArg(String option, boolean given, Optional<Path> file) {}

  /**
   * Checks, before any work, that the text options fit the data options: {@code --max-length} needs
   * {@code --tokenizer}, {@code --tokenizer} needs a data option to read, and a text file ({@code
   * .txt}, {@code .tsv}) needs {@code --tokenizer}.
   *
   * @param args every data option the command has
   * @throws IllegalArgumentException naming the option, or the file, that does not fit
   */
  void check(DataArg... args) {
    check();
    List<DataArg> all = List.of(args);
    for (DataArg a : all) {
      if (a.given() && a.file().isPresent()) {
        readOptions(a.option(), a.file().get());
      } else if (a.given()) {
        refuseBundled(a.option());
      }
    }
    if (tokenizer != null && all.stream().noneMatch(DataArg::given)) {
      List<String> names = all.stream().map(DataArg::option).toList();
      String options =
          names.size() == 1
              ? names.get(0)
              : String.join(", ", names.subList(0, names.size() - 1))
                  + " or "
                  + names.get(names.size() - 1);
      throw new IllegalArgumentException(
          TOKENIZER + " reads text data: give the text file with " + options);
    }
  }

  /**
   * Adds the tokenizer to the files a command reads, so that no output may replace it.
   *
   * @param files the command's inputs and outputs
   */
  void addInput(Outputs.Builder files) {
    if (tokenizer != null) {
      files.optInput(TOKENIZER, tokenizer);
    }
  }

  private void check() {
    if (tokenizer == null && maxLength != null) {
      throw new IllegalArgumentException("--max-length applies to text: give --tokenizer too");
    }
  }

  /** Whether a file's name says it holds text: {@code .txt} or {@code .tsv}. */
  static boolean isTextName(Path file) {
    Path name = file.getFileName();
    String n = name == null ? "" : name.toString().toLowerCase(Locale.ROOT);
    return n.endsWith(".txt") || n.endsWith(".tsv");
  }

  /**
   * Returns the tokenizer file, if given.
   *
   * @return the tokenizer
   */
  public Optional<Path> tokenizer() {
    return Optional.ofNullable(tokenizer);
  }
}
