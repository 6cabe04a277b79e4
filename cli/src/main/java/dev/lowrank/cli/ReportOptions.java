package dev.lowrank.cli;

import dev.lowrank.eval.report.ReportWriter;
import dev.lowrank.eval.report.ReportWriters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The {@code --report} option: one or more report files, the format chosen by extension. */
public final class ReportOptions {

  /** The option's name, as messages give it. */
  static final String OPTION = "--report";

  @Option(
      names = OPTION,
      paramLabel = "FILE",
      description =
          "Write a report; the extension picks the format: .json, .md, .html or .txt. Repeatable.")
  List<Path> reports = new ArrayList<>();

  /**
   * Returns the report files asked for.
   *
   * @return the files, possibly none
   */
  public List<Path> files() {
    return reports;
  }

  /**
   * Checks, before any work, that every report's extension names a format.
   *
   * @throws IllegalArgumentException naming --report and the file if one does not
   */
  public void checkFormats() {
    for (Path file : reports) {
      writer(file);
    }
  }

  /**
   * Returns the writer of a report file's format.
   *
   * @param file one of the report files
   * @return its writer
   * @throws IllegalArgumentException naming --report if the extension names no format
   */
  static ReportWriter writer(Path file) {
    try {
      return ReportWriters.forFile(file);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(OPTION + " " + e.getMessage(), e);
    }
  }
}
