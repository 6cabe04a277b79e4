package dev.lowrank.eval.embedding;

import dev.lowrank.data.Dataset;
import dev.lowrank.eval.model.InferenceModel;
import dev.lowrank.eval.model.InferenceSession;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.io.InputFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures a text encoder and its compressed versions on the tasks a user of sentence embeddings
 * cares about, on tokenized texts ({@code dev.lowrank.data.TextData}):
 *
 * <ul>
 *   <li>retrieval: recall@1, recall@10 and MRR of each query's paired document ({@link Retrieval});
 *   <li>classification: a {@link LogisticHead} fitted on the <em>original</em> model's embeddings
 *       of the training texts, scored on each model's embeddings of the test texts;
 *   <li>fidelity: the cosine between each compressed model's embedding and the original's, mean and
 *       minimum over every text the tasks measure on.
 * </ul>
 *
 * <pre>{@code
 * EmbeddingReport r = EmbeddingTasks.builder()
 *     .setOriginal(Path.of("minilm.pt")).addCompressed("plain 0.5", Path.of("minilm-half.pt"))
 *     .setPooling(Pooling.MEAN)
 *     .addRetrieval("subjects", queries, documents)
 *     .addClassification("spam", train, test)
 *     .build().run();
 * }</pre>
 */
public final class EmbeddingTasks {

  /** The label of the original model in reports. */
  public static final String ORIGINAL = "original";

  private final Builder b;

  private EmbeddingTasks(Builder b) {
    this.b = b;
  }

  /**
   * Starts a builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Embeds every text with every model and computes the metrics.
   *
   * @return the report
   * @throws InputFileException if a model or the texts cannot be used
   */
  public EmbeddingReport run() throws InputFileException {
    List<String> labels = new ArrayList<>();
    labels.add(ORIGINAL);
    labels.addAll(b.compressed.keySet());
    List<Path> paths = new ArrayList<>();
    paths.add(b.original);
    paths.addAll(b.compressed.values());
    // texts[model][set]: the embeddings of each measured text set.
    List<List<Embeddings>> measured = new ArrayList<>();
    List<Embeddings> trainOriginal = new ArrayList<>();
    for (int m = 0; m < paths.size(); m++) {
      List<Embeddings> sets = new ArrayList<>();
      try (InferenceModel model = InferenceModel.load(paths.get(m));
          InferenceSession session = model.newSession()) {
        List<String> inputs = model.inputNames();
        for (Task t : b.tasks) {
          for (Dataset d : t.measured()) {
            sets.add(embed(session, d, inputs));
          }
          if (m == 0 && t.train != null) {
            trainOriginal.add(embed(session, t.train, inputs));
          }
        }
      }
      measured.add(sets);
    }
    List<EmbeddingReport.Row> rows = new ArrayList<>();
    int set = 0;
    int train = 0;
    for (Task t : b.tasks) {
      if (t.train == null) {
        List<Double> r1 = new ArrayList<>();
        List<Double> r10 = new ArrayList<>();
        List<Double> mrr = new ArrayList<>();
        for (List<Embeddings> sets : measured) {
          Retrieval r = Retrieval.of(sets.get(set), sets.get(set + 1));
          r1.add(r.recallAt1());
          r10.add(r.recallAt10());
          mrr.add(r.mrr());
        }
        rows.add(new EmbeddingReport.Row(t.name, "recall@1", r1));
        rows.add(new EmbeddingReport.Row(t.name, "recall@10", r10));
        rows.add(new EmbeddingReport.Row(t.name, "MRR", mrr));
        set += 2;
      } else {
        int[] trainLabels = t.train.labels().orElseThrow();
        int[] testLabels = t.test.labels().orElseThrow();
        int classes =
            Math.max(t.train.classCount().orElse(2), Math.max(t.test.classCount().orElse(2), 2));
        LogisticHead head = LogisticHead.fit(trainOriginal.get(train), trainLabels, classes);
        List<Double> acc = new ArrayList<>();
        for (List<Embeddings> sets : measured) {
          acc.add(head.accuracy(sets.get(set), testLabels));
        }
        rows.add(new EmbeddingReport.Row(t.name, "accuracy (head fitted on original)", acc));
        set += 1;
        train++;
      }
    }
    List<Double> mean = new ArrayList<>();
    List<Double> min = new ArrayList<>();
    for (List<Embeddings> sets : measured) {
      double sum = 0;
      double lowest = 1;
      int count = 0;
      for (int s = 0; s < sets.size(); s++) {
        for (double c : measured.get(0).get(s).cosines(sets.get(s))) {
          sum += c;
          lowest = Math.min(lowest, c);
          count++;
        }
      }
      mean.add(sum / count);
      min.add(lowest);
    }
    rows.add(new EmbeddingReport.Row("all measured texts", "cosine to original, mean", mean));
    rows.add(new EmbeddingReport.Row("all measured texts", "cosine to original, min", min));
    return new EmbeddingReport(labels, rows);
  }

  private Embeddings embed(InferenceSession session, Dataset texts, List<String> inputs)
      throws InputFileException {
    return Embeddings.compute(session, texts.forModelInputs(inputs), b.pooling, b.batchSize);
  }

  /** A retrieval task (queries and documents) or a classification task (train and test). */
  private record Task(
      String name, Dataset queries, Dataset documents, Dataset train, Dataset test) {
    List<Dataset> measured() {
      return train == null ? List.of(queries, documents) : List.of(test);
    }
  }

  /** Builds {@link EmbeddingTasks}: {@code set*} is required, {@code opt*} and {@code add*} not. */
  public static final class Builder {

    private Path original;
    private final Map<String, Path> compressed = new LinkedHashMap<>();
    private Pooling pooling = Pooling.MEAN;
    private int batchSize = 32;
    private final List<Task> tasks = new ArrayList<>();

    private Builder() {}

    /**
     * Sets the original encoder (required).
     *
     * @param model a TorchScript file or DJL model directory
     * @return this builder
     */
    public Builder setOriginal(Path model) {
      this.original = model;
      return this;
    }

    /**
     * Adds a compressed encoder to measure next to the original.
     *
     * @param label its column in the report, e.g. {@code plain 0.5}
     * @param model the compressed model
     * @return this builder
     */
    public Builder addCompressed(String label, Path model) {
      if (label.equals(ORIGINAL) || compressed.containsKey(label)) {
        throw new IllegalArgumentException("The label " + label + " is taken");
      }
      compressed.put(label, model);
      return this;
    }

    /**
     * Sets the pooling of per-token states (default {@link Pooling#MEAN}).
     *
     * @param pooling the pooling
     * @return this builder
     */
    public Builder setPooling(Pooling pooling) {
      this.pooling = pooling;
      return this;
    }

    /**
     * Sets the texts per batch (default 32).
     *
     * @param batchSize at least 1
     * @return this builder
     */
    public Builder optBatchSize(int batchSize) {
      if (batchSize < 1) {
        throw new IllegalArgumentException("The batch size must be at least 1");
      }
      this.batchSize = batchSize;
      return this;
    }

    /**
     * Adds a retrieval task: query {@code i}'s relevant document is document {@code i}.
     *
     * @param name the task's name in the report
     * @param queries tokenized queries
     * @param documents tokenized documents, as many as queries
     * @return this builder
     */
    public Builder addRetrieval(String name, Dataset queries, Dataset documents) {
      if (queries.size() != documents.size()) {
        throw new IllegalArgumentException(
            queries.size() + " queries but " + documents.size() + " documents");
      }
      tasks.add(new Task(name, queries, documents, null, null));
      return this;
    }

    /**
     * Adds a classification task.
     *
     * @param name the task's name in the report
     * @param train labeled texts the head is fitted on (embedded by the original model only)
     * @param test labeled texts every model is scored on
     * @return this builder
     */
    public Builder addClassification(String name, Dataset train, Dataset test) {
      if (!train.labeled() || !test.labeled()) {
        throw new IllegalArgumentException("Classification needs labeled train and test texts");
      }
      tasks.add(new Task(name, null, null, train, test));
      return this;
    }

    /**
     * Checks and builds the tasks.
     *
     * @return the tasks
     */
    public EmbeddingTasks build() {
      if (original == null) {
        throw new IllegalArgumentException("Set the original encoder with setOriginal");
      }
      if (tasks.isEmpty()) {
        throw new IllegalArgumentException("Add a retrieval or classification task");
      }
      return new EmbeddingTasks(this);
    }
  }
}
