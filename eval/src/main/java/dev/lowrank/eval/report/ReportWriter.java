package dev.lowrank.eval.report;

import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.sweep.SweepResult;

/**
 * Renders evaluation and sweep results in one format (JSON, Markdown, HTML, plain text). Get one
 * from {@link ReportWriters}; callers never name an implementation class.
 */
public interface ReportWriter {

  /**
   * Returns the format's name: {@code json}, {@code markdown}, {@code html} or {@code text}.
   *
   * @return the name
   */
  String format();

  /**
   * Renders an evaluation report.
   *
   * @param report the report
   * @return the document
   */
  String render(EvalReport report);

  /**
   * Renders a sweep: a table and a plot of accuracy against parameters.
   *
   * @param sweep the sweep
   * @return the document
   */
  String render(SweepResult sweep);

  /**
   * Renders a search for the smallest model within a drop: its answer and the settings tried.
   *
   * @param search the search
   * @return the document
   */
  String render(SearchResult search);
}
