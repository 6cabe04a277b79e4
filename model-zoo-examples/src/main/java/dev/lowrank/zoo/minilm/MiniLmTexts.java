package dev.lowrank.zoo.minilm;

import dev.lowrank.data.DataFileException;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.TextData;
import dev.lowrank.datasets.text.TextSets;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The texts of the {@code minilm} example, tokenized with the model's tokenizer (at most 128 tokens
 * each): calibration texts from SpamAssassin's calibration part, the spam/ham head's training texts
 * from its train part, and what is measured (retrieval pairs, the head's test texts) from its test
 * part; the three parts are disjoint ({@link TextSets}).
 *
 * @param calibration the calibration texts, unlabeled
 * @param queries the retrieval queries (subjects of the test part's ham messages)
 * @param documents the retrieval documents (their bodies), query {@code i}'s is document {@code i}
 * @param train the head's training texts, labeled ham (0) or spam (1)
 * @param test the head's test texts, labeled
 */
public record MiniLmTexts(
    Dataset calibration, Dataset queries, Dataset documents, Dataset train, Dataset test) {

  /** The retrieval task's name in reports. */
  public static final String RETRIEVAL = "spam-assassin subject retrieval";

  /** The classification task's name in reports. */
  public static final String CLASSIFICATION = "spam-assassin spam/ham";

  /**
   * Reads (fetching once into the cache) and tokenizes the texts.
   *
   * @param cacheRoot the lowrank cache root
   * @param tokenizer the model's {@code tokenizer.json}
   * @param settings how many texts of each part
   * @return the tokenized texts
   * @throws IOException if the text sets cannot be fetched or read
   * @throws DataFileException if the tokenizer cannot be used
   */
  public static MiniLmTexts load(Path cacheRoot, Path tokenizer, MiniLmSettings settings)
      throws IOException, DataFileException {
    TextSets.TextPairs pairs = TextSets.subjectRetrieval(cacheRoot, settings.pairs());
    List<String> calibration = TextSets.calibration(cacheRoot, settings.calibrationTexts());
    TextSets.LabeledTexts train =
        TextSets.spamClassification(cacheRoot, TextSets.Part.TRAIN, settings.trainTexts());
    TextSets.LabeledTexts test =
        TextSets.spamClassification(cacheRoot, TextSets.Part.TEST, settings.testTexts());
    return new MiniLmTexts(
        tokenize("spam-assassin calibration part", calibration, tokenizer),
        tokenize("retrieval queries", pairs.queries(), tokenizer),
        tokenize("retrieval documents", pairs.documents(), tokenizer),
        train.tokenize(tokenizer, OptionalInt.empty()),
        test.tokenize(tokenizer, OptionalInt.empty()));
  }

  private static Dataset tokenize(String name, List<String> texts, Path tokenizer)
      throws DataFileException {
    return TextData.tokenize(name, texts, Optional.empty(), tokenizer, OptionalInt.empty());
  }

  /**
   * Returns the share of ham among the test texts.
   *
   * @return the accuracy of always answering ham
   */
  public double hamShare() {
    int[] labels = test.labels().orElseThrow();
    int ham = 0;
    for (int l : labels) {
      ham += l == 0 ? 1 : 0;
    }
    return (double) ham / labels.length;
  }
}
