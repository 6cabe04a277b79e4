package dev.lowrank.cli;

import dev.lowrank.cli.internal.TextTable;
import dev.lowrank.zoo.minilm.MiniLmReport;
import java.util.List;

/**
 * The {@code minilm} table as plain text: the columns of {@link MiniLmReport} in aligned tables.
 */
final class MiniLmText {

  private MiniLmText() {}

  /**
   * Renders some columns of the report.
   *
   * @param report the report
   * @param columns the titles of the columns to show, in order (those the report lacks, such as a
   *     batch size not timed, are left out)
   * @return the table
   */
  static String table(MiniLmReport report, List<String> columns) {
    List<String> all = report.columns();
    List<String> shown = columns.stream().filter(all::contains).toList();
    TextTable table = new TextTable(shown.toArray(String[]::new));
    for (List<String> row : report.cells()) {
      table.row(shown.stream().map(c -> row.get(all.indexOf(c))).toArray());
    }
    return table.toString();
  }

  /**
   * Renders the whole report in two tables, what the models keep and what they cost.
   *
   * @param report the report
   * @return the tables and the caption
   */
  static String full(MiniLmReport report) {
    List<String> all = report.columns();
    int firstCost = all.indexOf("file") + 1;
    List<String> quality =
        new java.util.ArrayList<>(List.of("share", "method", "recall@1", "recall@10", "MRR"));
    quality.addAll(List.of("spam/ham acc.", "cosine mean", "cosine min"));
    List<String> cost = new java.util.ArrayList<>(all.subList(0, firstCost));
    cost.addAll(all.subList(all.indexOf("cosine min") + 1, all.size()));
    return table(report, quality) + "\n" + table(report, cost) + "\n" + report.caption() + "\n";
  }
}
