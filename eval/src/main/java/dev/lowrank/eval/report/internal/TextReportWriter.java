package dev.lowrank.eval.report.internal;

import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.report.ReportWriter;
import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.sweep.SweepResult;
import java.util.List;
import java.util.Optional;

/**
 * Writes reports as plain text for a terminal: the {@link ReportTables} as aligned columns (a
 * table's compact view when it has one), without titles; an evaluation is its figures, one line
 * each.
 */
public final class TextReportWriter implements ReportWriter {

  private static final String GAP = "  ";

  @Override
  public String format() {
    return "text";
  }

  @Override
  public String render(EvalReport r) {
    return table(ReportTables.figures(r));
  }

  @Override
  public String render(SweepResult s) {
    return table(ReportTables.settings(s, Optional.empty()));
  }

  @Override
  public String render(SearchResult s) {
    return table(ReportTables.search(s))
        + (s.chosen().isPresent() ? "chosen: " : "none: ")
        + s.summary()
        + "\n";
  }

  /** Renders a table's compact view as aligned lines, then its notes. */
  static String table(Table full) {
    Table t = full.compact();
    List<Table.Column> cols = t.columns();
    int[] width = new int[cols.size()];
    for (int c = 0; c < cols.size(); c++) {
      width[c] = t.hasHeader() ? cols.get(c).header().length() : 0;
      for (Table.Row r : t.rows()) {
        width[c] = Math.max(width[c], Table.oneLine(r.cells().get(c)).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    if (t.hasHeader()) {
      line(sb, cols, cols.stream().map(Table.Column::header).toList(), width);
    }
    for (Table.Row r : t.rows()) {
      line(sb, cols, r.cells(), width);
    }
    for (String note : t.notes()) {
      sb.append(Table.oneLine(note)).append('\n');
    }
    return sb.toString();
  }

  private static void line(
      StringBuilder sb, List<Table.Column> cols, List<String> cells, int[] width) {
    StringBuilder line = new StringBuilder();
    for (int c = 0; c < cols.size(); c++) {
      String cell = Table.oneLine(cells.get(c));
      String pad = " ".repeat(Math.max(0, width[c] - cell.length()));
      boolean last = c == cols.size() - 1;
      line.append(c > 0 ? GAP : "");
      if (cols.get(c).align() == Table.Align.RIGHT) {
        line.append(pad).append(cell);
      } else {
        line.append(cell).append(last ? "" : pad);
      }
    }
    sb.append(line.toString().stripTrailing()).append('\n');
  }
}
