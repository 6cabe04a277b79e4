package dev.lowrank.eval.embedding;

import java.util.List;
import java.util.Locale;

/**
 * Task metrics of an original text encoder and its compressed versions, side by side: one row per
 * task and metric, one value per model (the original first).
 *
 * @param models the models' labels, {@code original} first
 * @param rows the metrics
 */
public record EmbeddingReport(List<String> models, List<EmbeddingReport.Row> rows) {

  /**
   * One metric.
   *
   * @param task the task, e.g. {@code spam-assassin subject retrieval}
   * @param metric e.g. {@code recall@1}
   * @param values one value per model, in {@link EmbeddingReport#models()} order
   */
  public record Row(String task, String metric, List<Double> values) {
    /** Copies the values. */
    public Row {
      values = List.copyOf(values);
    }
  }

  /** Copies the lists. */
  public EmbeddingReport {
    models = List.copyOf(models);
    rows = List.copyOf(rows);
  }

  /**
   * Returns one value.
   *
   * @param task the task
   * @param metric the metric
   * @param model the model's label
   * @return the value
   * @throws IllegalArgumentException if there is no such row or model
   */
  public double value(String task, String metric, String model) {
    int m = models.indexOf(model);
    for (Row r : rows) {
      if (r.task.equals(task) && r.metric.equals(metric) && m >= 0) {
        return r.values.get(m);
      }
    }
    throw new IllegalArgumentException("No value for " + task + " / " + metric + " / " + model);
  }

  /**
   * Returns the report as a Markdown table.
   *
   * @return the table
   */
  public String toMarkdown() {
    StringBuilder sb = new StringBuilder("| task | metric |");
    for (String m : models) {
      sb.append(' ').append(m).append(" |");
    }
    sb.append("\n| --- | --- |");
    sb.append(" ---: |".repeat(models.size()));
    sb.append('\n');
    for (Row r : rows) {
      sb.append("| ").append(r.task).append(" | ").append(r.metric).append(" |");
      for (double v : r.values) {
        sb.append(' ').append(String.format(Locale.ROOT, "%.4f", v)).append(" |");
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
