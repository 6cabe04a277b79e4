package dev.lowrank.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The {@code --report} option: one or more report files, the format chosen by extension. */
public final class ReportOptions {

  @Option(
      names = "--report",
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
}
