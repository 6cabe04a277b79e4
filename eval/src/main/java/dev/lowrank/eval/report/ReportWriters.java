package dev.lowrank.eval.report;

import dev.lowrank.eval.report.internal.HtmlReportWriter;
import dev.lowrank.eval.report.internal.JsonReportWriter;
import dev.lowrank.eval.report.internal.MarkdownReportWriter;
import dev.lowrank.eval.report.internal.TextReportWriter;
import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.sweep.SweepResult;
import dev.lowrank.io.OutputFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The report writers, and the choice of one by file extension: {@code .json}, {@code .md} (or
 * {@code .markdown}), {@code .html} (or {@code .htm}), {@code .txt}.
 */
public final class ReportWriters {

  private ReportWriters() {}

  /**
   * Returns the JSON writer (schema in {@code eval/REPORT-SCHEMA.md}).
   *
   * @return the writer
   */
  public static ReportWriter json() {
    return new JsonReportWriter();
  }

  /**
   * Returns the Markdown writer (tables for pull requests).
   *
   * @return the writer
   */
  public static ReportWriter markdown() {
    return new MarkdownReportWriter();
  }

  /**
   * Returns the HTML writer: one self-contained page with inline SVG plots.
   *
   * @return the writer
   */
  public static ReportWriter html() {
    return new HtmlReportWriter();
  }

  /**
   * Returns the plain-text writer: aligned lines for a terminal (what {@code lowrank eval} prints).
   *
   * @return the writer
   */
  public static ReportWriter text() {
    return new TextReportWriter();
  }

  /**
   * Chooses a writer by a file's extension.
   *
   * @param file the report file
   * @return the writer
   * @throws IllegalArgumentException if the extension is not {@code .json}, {@code .md}, {@code
   *     .markdown}, {@code .html}, {@code .htm} or {@code .txt}
   */
  public static ReportWriter forFile(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".json")) {
      return json();
    }
    if (name.endsWith(".md") || name.endsWith(".markdown")) {
      return markdown();
    }
    if (name.endsWith(".html") || name.endsWith(".htm")) {
      return html();
    }
    if (name.endsWith(".txt")) {
      return text();
    }
    throw new IllegalArgumentException(
        file + ": unknown report format; name the file .json, .md, .html or .txt");
  }

  /**
   * Writes an evaluation report in the format its extension names; the file appears whole or not at
   * all.
   *
   * @param report the report
   * @param file the destination
   * @throws IOException if it cannot be written
   */
  public static void write(EvalReport report, Path file) throws IOException {
    writeAtomically(file, forFile(file).render(report));
  }

  /**
   * Writes a sweep in the format its extension names.
   *
   * @param sweep the sweep
   * @param file the destination
   * @throws IOException if it cannot be written
   */
  public static void write(SweepResult sweep, Path file) throws IOException {
    writeAtomically(file, forFile(file).render(sweep));
  }

  /**
   * Writes a search result in the format its extension names.
   *
   * @param search the search
   * @param file the destination
   * @throws IOException if it cannot be written
   */
  public static void write(SearchResult search, Path file) throws IOException {
    writeAtomically(file, forFile(file).render(search));
  }

  private static void writeAtomically(Path file, String text) throws IOException {
    OutputFiles.writeString(file, text);
  }
}
