package dev.lowrank.datasets.text;

import dev.lowrank.data.DataFileException;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.TextData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Real English text for a sentence encoder, split once and for all into disjoint parts: what
 * data-aware compression and fine-tuning may see ({@link Part#CALIBRATION}, {@link Part#TRAIN}) and
 * what the evaluation measures on ({@link Part#TEST}).
 *
 * <p>The labeled set is the SpamAssassin corpus ({@link SpamAssassin}), in its fixed checksum
 * order; message {@code k} of that order belongs to {@link Part#CALIBRATION} when {@code k % 10} is
 * 0 or 1, to {@link Part#TRAIN} for 2 to 5, and to {@link Part#TEST} for 6 to 9. The tasks:
 *
 * <ul>
 *   <li>{@link #spamClassification}: subject and body, labeled {@code ham} (0) or {@code spam} (1);
 *       a head is fitted on the original model's embeddings of {@link Part#TRAIN} and both models
 *       are scored on {@link Part#TEST}.
 *   <li>{@link #subjectRetrieval}: a ham message's subject as the query, its body as the document
 *       to find among all the bodies ({@link Part#TEST} only, subjects that occur once).
 * </ul>
 *
 * <p>Calibration text: {@link #calibration} (the SpamAssassin calibration part, in-domain) and
 * {@link #generalCalibration} (general English sentences of {@link NlpCorpus}); neither ever
 * overlaps what the evaluation measures on.
 */
public final class TextSets {

  /** The class names of {@link #spamClassification}, by label. */
  public static final List<String> SPAM_CLASSES = List.of("ham", "spam");

  private static final int MIN_SUBJECT_WORDS = 3;

  private TextSets() {}

  /** The disjoint parts of the labeled text. */
  public enum Part {
    /** For calibration statistics and fine-tuning (20%). */
    CALIBRATION,
    /** For fitting a task head on embeddings (40%). */
    TRAIN,
    /** For measuring (40%): never calibrated or trained on. */
    TEST;

    static Part of(int k) {
      int r = k % 10;
      return r < 2 ? CALIBRATION : r < 6 ? TRAIN : TEST;
    }
  }

  /**
   * Labeled texts.
   *
   * @param name a name for reports, e.g. {@code spam-assassin test}
   * @param texts the texts
   * @param labels one class index per text
   * @param classNames the class names by index
   */
  public record LabeledTexts(
      String name, List<String> texts, int[] labels, List<String> classNames) {

    /**
     * Tokenizes the texts into a labeled data set.
     *
     * @param tokenizer a Hugging Face {@code tokenizer.json}
     * @param maxLength the most tokens a text keeps, empty for the tokenizer's own limit
     * @return the data set
     * @throws DataFileException if the tokenizer cannot be used
     */
    public Dataset tokenize(Path tokenizer, OptionalInt maxLength) throws DataFileException {
      return TextData.tokenize(name, texts, Optional.of(labels), tokenizer, maxLength);
    }

    /**
     * Writes the texts as {@code label<TAB>text} lines (the {@code .tsv} format lowrank reads with
     * a tokenizer), labels by name.
     *
     * @param file the {@code .tsv} file
     * @throws IOException if it cannot be written
     */
    public void writeTsv(Path file) throws IOException {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < texts.size(); i++) {
        sb.append(classNames.get(labels[i])).append('\t').append(texts.get(i)).append('\n');
      }
      Files.writeString(file, sb, StandardCharsets.UTF_8);
    }
  }

  /**
   * Queries, each with one relevant document: query {@code i} belongs with document {@code i}.
   *
   * @param name a name for reports
   * @param queries the queries
   * @param documents the documents, as many as queries
   */
  public record TextPairs(String name, List<String> queries, List<String> documents) {

    /** Checks the sizes. */
    public TextPairs {
      if (queries.size() != documents.size()) {
        throw new IllegalArgumentException(
            queries.size() + " queries but " + documents.size() + " documents");
      }
      queries = List.copyOf(queries);
      documents = List.copyOf(documents);
    }
  }

  /**
   * Returns the SpamAssassin messages of one part, in checksum order.
   *
   * @param cacheRoot the lowrank cache root
   * @param part the part
   * @return the messages
   * @throws IOException if the corpus cannot be fetched or read
   */
  public static List<SpamAssassin.Email> emails(Path cacheRoot, Part part) throws IOException {
    List<SpamAssassin.Email> all = SpamAssassin.emails(cacheRoot);
    List<SpamAssassin.Email> out = new ArrayList<>();
    for (int k = 0; k < all.size(); k++) {
      if (Part.of(k) == part) {
        out.add(all.get(k));
      }
    }
    return out;
  }

  /**
   * Returns spam/ham classification texts of one part.
   *
   * @param cacheRoot the lowrank cache root
   * @param part {@link Part#TRAIN} to fit a head, {@link Part#TEST} to score it
   * @param limit at most this many texts (the first of the part's order)
   * @return the labeled texts
   * @throws IOException if the corpus cannot be fetched or read
   */
  public static LabeledTexts spamClassification(Path cacheRoot, Part part, int limit)
      throws IOException {
    List<SpamAssassin.Email> emails = emails(cacheRoot, part);
    int n = Math.min(limit, emails.size());
    List<String> texts = new ArrayList<>(n);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      texts.add(emails.get(i).text());
      labels[i] = emails.get(i).spam() ? 1 : 0;
    }
    return new LabeledTexts(
        "spam-assassin " + part.name().toLowerCase(Locale.ROOT), texts, labels, SPAM_CLASSES);
  }

  /**
   * Returns subject-to-body retrieval pairs from the ham messages of {@link Part#TEST} whose
   * subject has at least three words and occurs once in that part.
   *
   * @param cacheRoot the lowrank cache root
   * @param limit at most this many pairs
   * @return the pairs
   * @throws IOException if the corpus cannot be fetched or read
   */
  public static TextPairs subjectRetrieval(Path cacheRoot, int limit) throws IOException {
    List<SpamAssassin.Email> emails = emails(cacheRoot, Part.TEST);
    Map<String, Integer> counts = new HashMap<>();
    for (SpamAssassin.Email e : emails) {
      counts.merge(e.subject().toLowerCase(Locale.ROOT), 1, Integer::sum);
    }
    List<String> queries = new ArrayList<>();
    List<String> documents = new ArrayList<>();
    for (SpamAssassin.Email e : emails) {
      if (queries.size() == limit) {
        break;
      }
      if (e.spam()
          || e.subject().split(" ").length < MIN_SUBJECT_WORDS
          || counts.get(e.subject().toLowerCase(Locale.ROOT)) != 1) {
        continue;
      }
      queries.add(e.subject());
      documents.add(e.body());
    }
    return new TextPairs("spam-assassin subject retrieval", queries, documents);
  }

  /**
   * Returns calibration texts from the SpamAssassin calibration part (subject and body, both
   * classes), in-domain for the tasks above and disjoint from them.
   *
   * @param cacheRoot the lowrank cache root
   * @param limit at most this many texts
   * @return the texts
   * @throws IOException if the corpus cannot be fetched or read
   */
  public static List<String> calibration(Path cacheRoot, int limit) throws IOException {
    return emails(cacheRoot, Part.CALIBRATION).stream()
        .limit(limit)
        .map(SpamAssassin.Email::text)
        .toList();
  }

  /**
   * Returns general English calibration sentences ({@link NlpCorpus}).
   *
   * @param cacheRoot the lowrank cache root
   * @param limit at most this many sentences
   * @return the sentences
   * @throws IOException if the package cannot be fetched or read
   */
  public static List<String> generalCalibration(Path cacheRoot, int limit) throws IOException {
    return NlpCorpus.sentences(cacheRoot, limit);
  }
}
