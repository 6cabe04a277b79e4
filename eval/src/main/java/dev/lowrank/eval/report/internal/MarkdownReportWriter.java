package dev.lowrank.eval.report.internal;

import dev.lowrank.eval.gate.GateCheck;
import dev.lowrank.eval.gate.GateVerdict;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.report.ReportWriter;
import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.sweep.SweepResult;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Writes reports as GitHub-flavoured Markdown, for pull requests and CI summaries: the {@link
 * ReportTables} as GitHub tables, the long ones folded in {@code <details>}.
 */
public final class MarkdownReportWriter implements ReportWriter {

  @Override
  public String format() {
    return "markdown";
  }

  @Override
  public String render(EvalReport r) {
    StringBuilder md = new StringBuilder();
    md.append("### lowrank eval: ")
        .append(code(name(r.original().path())))
        .append(" → ")
        .append(code(name(r.compressed().path())))
        .append("\n\n");
    warnings(md, r.warnings());
    table(md, ReportTables.summary(r));
    r.gate().ifPresent(g -> gate(md, g));
    ReportTables.layers(r).ifPresent(t -> folded(md, t));
    ReportTables.latency(r).ifPresent(t -> folded(md, t));
    footer(md, ReportTables.footer(r));
    return md.toString();
  }

  @Override
  public String render(SweepResult s) {
    StringBuilder md = new StringBuilder();
    md.append("### lowrank sweep: ").append(code(name(s.model().path()))).append("\n\n");
    table(md, ReportTables.settings(s, Optional.empty()));
    footer(md, ReportTables.footer(s));
    return md.toString();
  }

  @Override
  public String render(SearchResult s) {
    StringBuilder md = new StringBuilder();
    md.append("### lowrank search: smallest ")
        .append(code(name(s.evaluated().model().path())))
        .append(' ')
        .append(text(ReportTables.goal(s)))
        .append("\n\n");
    md.append(s.chosen().isPresent() ? "**Chosen:** " : "**None found:** ")
        .append(text(s.summary()))
        .append("\n\n");
    table(md, ReportTables.search(s));
    footer(md, ReportTables.footer(s.evaluated()));
    return md.toString();
  }

  /** Renders a table as a GitHub table, then its notes; highlighted rows in bold. */
  static void table(StringBuilder md, Table t) {
    List<Table.Column> cols = t.columns();
    md.append('|');
    for (Table.Column c : cols) {
      cell(md, text(c.header()));
    }
    md.append("\n|");
    for (Table.Column c : cols) {
      md.append(c.align() == Table.Align.RIGHT ? "--:|" : ":--|");
    }
    md.append('\n');
    for (Table.Row r : t.rows()) {
      md.append('|');
      for (int i = 0; i < cols.size(); i++) {
        String v = r.cells().get(i);
        String shown = cols.get(i).style() == Table.Style.CODE ? code(v) : text(v);
        cell(md, r.highlighted() && !v.isEmpty() ? "**" + shown + "**" : shown);
      }
      md.append('\n');
    }
    md.append('\n');
    for (String note : t.notes()) {
      md.append(text(note)).append("\n\n");
    }
  }

  private static void folded(StringBuilder md, Table t) {
    md.append("<details><summary>").append(text(t.title())).append("</summary>\n\n");
    table(md, t);
    md.append("</details>\n\n");
  }

  private static void cell(StringBuilder md, String shown) {
    md.append(shown.isEmpty() ? " |" : " " + shown + " |");
  }

  private static void warnings(StringBuilder md, List<String> warnings) {
    for (String w : warnings) {
      md.append("> **Warning:** ").append(text(w)).append("\n\n");
    }
  }

  private static void gate(StringBuilder md, GateVerdict g) {
    md.append(g.passed() ? "**Gate: passed** ✅\n\n" : "**Gate: failed** ❌\n\n");
    for (GateCheck c : g.checks()) {
      md.append("- ").append(text(c.message())).append('\n');
    }
    md.append('\n');
  }

  private static void footer(StringBuilder md, List<String> facts) {
    md.append(text(String.join(" · ", facts))).append('\n');
  }

  /**
   * Text on one line with Markdown's special characters escaped, so paths and messages show as they
   * are (the table separator {@code |} included).
   */
  private static String text(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 8);
    for (char ch : Table.oneLine(s).toCharArray()) {
      if ("\\`*_[]<>|".indexOf(ch) >= 0) {
        sb.append('\\');
      }
      sb.append(ch);
    }
    return sb.toString();
  }

  /** A code span that holds any text: a fence longer than its longest run of backticks. */
  private static String code(String s) {
    if (s.isEmpty()) {
      return "";
    }
    int run = 0;
    int longest = 0;
    for (char ch : s.toCharArray()) {
      run = ch == '`' ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    String fence = "`".repeat(longest + 1);
    String pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
    return fence + pad + Table.oneLine(s).replace("|", "\\|") + pad + fence;
  }

  private static String name(Path p) {
    Path f = p.getFileName();
    return f == null ? p.toString() : f.toString();
  }
}
