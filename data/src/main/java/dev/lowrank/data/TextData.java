package dev.lowrank.data;

import dev.lowrank.data.internal.TextReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Raw text as model input: texts tokenized with a Hugging Face {@code tokenizer.json} (through
 * DJL's {@code ai.djl.huggingface:tokenizers}, whose jar carries its native library; nothing is
 * downloaded) into a {@link Dataset} of padded sequences with the int64 inputs {@value #INPUT_IDS},
 * {@value #ATTENTION_MASK} and {@value #TOKEN_TYPE_IDS} (the last {@linkplain
 * Dataset.Input#optional() optional}: left out for a model that does not take it).
 *
 * <p>Each text keeps at most the maximum length of tokens (the tokenizer's own truncation length,
 * e.g. 128 for all-MiniLM-L6-v2, unless {@link DataOptions.Builder#optMaxLength} says otherwise); a
 * batch is padded to its longest text ({@link Dataset#batch(int, int)}), with the tokenizer's
 * padding token.
 *
 * <p>Files are UTF-8, one text per line; blank lines are skipped. A {@code .tsv} file is labeled:
 * {@code label<TAB>text} on every line, the label a class index from 0 or a class name (names are
 * numbered in sorted order and kept as {@link Dataset#classNames()}).
 *
 * <pre>{@code
 * Dataset texts = Datasets.read(Path.of("queries.txt"),
 *     DataOptions.builder().optTokenizer(Path.of("tokenizer.json")).build());
 * Dataset docs = TextData.tokenize("docs", List.of("first text", "second text"),
 *     Optional.empty(), Path.of("tokenizer.json"), OptionalInt.empty());
 * }</pre>
 */
public final class TextData {

  /** The token ids input. */
  public static final String INPUT_IDS = "input_ids";

  /** The attention mask input: 1 for a text's tokens, 0 for padding. */
  public static final String ATTENTION_MASK = "attention_mask";

  /** The segment ids input (all 0 for single texts). */
  public static final String TOKEN_TYPE_IDS = "token_type_ids";

  private TextData() {}

  /**
   * Reads and tokenizes a text file.
   *
   * @param file a UTF-8 file, one text per line ({@code label<TAB>text} for {@code .tsv})
   * @param options the tokenizer (required), the maximum length, and whether to ignore labels
   * @return the tokenized texts
   * @throws DataFileException naming the text file when it is missing, not UTF-8, empty or badly
   *     labeled, or naming the tokenizer file when it is not a Hugging Face tokenizer
   * @throws IllegalArgumentException if the options name no tokenizer
   */
  public static Dataset read(Path file, DataOptions options) throws DataFileException {
    Path tokenizer =
        options
            .tokenizer()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "Reading text needs a tokenizer: DataOptions.builder().optTokenizer(...)"));
    return TextReader.read(file, tokenizer, options);
  }

  /**
   * Tokenizes texts held in memory.
   *
   * @param name the data set's name (error messages and reports name it)
   * @param texts at least one text
   * @param labels one class index per text, or empty
   * @param tokenizer a Hugging Face {@code tokenizer.json}
   * @param maxLength the most tokens a text keeps, empty for the tokenizer's own limit
   * @return the tokenized texts, in order
   * @throws DataFileException naming the tokenizer file when it is not a Hugging Face tokenizer
   */
  public static Dataset tokenize(
      String name,
      List<String> texts,
      Optional<int[]> labels,
      Path tokenizer,
      OptionalInt maxLength)
      throws DataFileException {
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("Tokenize at least one text");
    }
    labels.ifPresent(
        l -> {
          if (l.length != texts.size()) {
            throw new IllegalArgumentException(texts.size() + " texts but " + l.length + " labels");
          }
        });
    return TextReader.tokenize(
        Path.of(name), name, "memory", texts, labels.orElse(null), null, tokenizer, maxLength);
  }
}
