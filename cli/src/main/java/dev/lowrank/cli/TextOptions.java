package dev.lowrank.cli;

import dev.lowrank.data.DataSource;
import dev.lowrank.eval.pooling.Pooling;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options for text data and text encoders: {@code --tokenizer} turns a {@code --data} text file
 * (one text per line; {@code label<TAB>text} in a {@code .tsv}) into token inputs, {@code
 * --max-length} caps the tokens per text, {@code --pooling} compares sentence embeddings of models
 * that return per-token states.
 */
public final class TextOptions {

  @Option(
      names = "--tokenizer",
      paramLabel = "TOKENIZER.json",
      description =
          "Read --data as text, one text per line (label<TAB>text in a .tsv), tokenized with this"
              + " Hugging Face tokenizer.json into input_ids, attention_mask and token_type_ids.")
  Path tokenizer;

  @Option(
      names = "--max-length",
      paramLabel = "N",
      description = "The most tokens a text keeps (default: the tokenizer's own, e.g. 128).")
  Integer maxLength;

  @Option(
      names = "--pooling",
      paramLabel = "mean|cls",
      description =
          "For a text encoder returning per-token states: compare sentence embeddings, the mean"
              + " over the attention mask (or the first token), L2-normalized.")
  String pooling;

  /**
   * Returns the data source: the text file tokenized when a tokenizer is given, else what the data
   * options name.
   *
   * @param data the data options
   * @return the source
   */
  public DataSource source(DataOptions data) {
    if (tokenizer == null) {
      if (maxLength != null) {
        throw new IllegalArgumentException("--max-length applies to text: give --tokenizer too");
      }
      return data.source();
    }
    if (data.data == null) {
      throw new IllegalArgumentException("give the text file with --data FILE");
    }
    dev.lowrank.data.DataOptions.Builder b =
        dev.lowrank.data.DataOptions.builder().optTokenizer(tokenizer);
    if (maxLength != null) {
      b.optMaxLength(maxLength);
    }
    if (data.unlabeled) {
      b.optUnlabeled();
    }
    return DataSource.file(data.data, b.build());
  }

  /**
   * Returns the pooling, if given.
   *
   * @return the pooling
   * @throws IllegalArgumentException if it is neither mean nor cls
   */
  public Optional<Pooling> pooling() {
    return Optional.ofNullable(pooling).map(Pooling::parse);
  }
}
