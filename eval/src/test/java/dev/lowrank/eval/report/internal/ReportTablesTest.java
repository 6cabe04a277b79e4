package dev.lowrank.eval.report.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.eval.params.LayerParameters;
import dev.lowrank.eval.params.ParameterComparison;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.testing.SampleReports;
import dev.lowrank.format.Layer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The table model and its three renderings: Markdown and HTML show exactly the cells {@link
 * ReportTables} made (read back from their output), text aligns them, and markup in a cell stays
 * text.
 */
class ReportTablesTest {

  private static final String HOSTILE = "enc|a`b*c_<i>x</i>\nnext";

  @Test
  void markdownAndHtmlShowExactlyTheCellsOfEveryTable() {
    for (EvalReport r :
        List.of(
            SampleReports.eval(true),
            SampleReports.eval(false),
            SampleReports.textEval(),
            hostile())) {
      String md = new MarkdownReportWriter().render(r);
      String html = new HtmlReportWriter().render(r);
      List<Table> tables = new ArrayList<>();
      tables.add(ReportTables.summary(r));
      ReportTables.layers(r).ifPresent(tables::add);
      ReportTables.latency(r).ifPresent(tables::add);
      assertEquals(3, tables.size());
      for (Table t : tables) {
        assertEquals(expected(t), markdownTable(md, t), t.title() + " in Markdown");
        assertEquals(expected(t), htmlTable(html, t), t.title() + " in HTML");
      }
    }
    for (SearchResult s : List.of(SampleReports.search(), SampleReports.fidelitySearch())) {
      Table search = ReportTables.search(s);
      assertEquals(expected(search), markdownTable(new MarkdownReportWriter().render(s), search));
      assertEquals(expected(search), htmlTable(new HtmlReportWriter().render(s), search));
    }
    String md = new MarkdownReportWriter().render(SampleReports.search());
    String html = new HtmlReportWriter().render(SampleReports.search());
    assertTrue(md.contains("| **rank 8** |"), "the chosen setting in bold");
    assertTrue(html.contains("<tr class=\"chosen\"><td class=\"l\">rank 8</td>"), html);
  }

  @Test
  void markupInACellStaysText() {
    EvalReport r = hostile();
    String md = new MarkdownReportWriter().render(r);
    String html = new HtmlReportWriter().render(r);
    assertFalse(html.contains("<i>x</i>"), "HTML escapes cells");
    assertTrue(html.contains("<code>enc|a`b*c_&lt;i&gt;x&lt;/i&gt; next</code>"), html);
    String row =
        md.lines()
            .filter(l -> l.startsWith("| ``enc"))
            .findFirst()
            .orElseThrow(AssertionError::new);
    // One code span with a fence longer than the backtick inside, the pipe escaped.
    assertTrue(row.startsWith("| ``enc\\|a`b*c_<i>x</i> next`` | 10x32 |"), row);
    assertTrue(row.endsWith("| note \\| with \\*stars\\* and \\<b\\> |"), row);
  }

  @Test
  void textAlignsEveryColumnOfTheCompactView() {
    String text = new TextReportWriter().render(SampleReports.sweep());
    List<String> lines = text.lines().toList();
    String header = lines.get(0);
    assertEquals(
        List.of("setting", "ranks", "params", "share", "top-1", "drop", "agreement", "cosine"),
        List.of(header.trim().split("\\s+")),
        "the compact view: no size column, the ranks second");
    for (String column : List.of("params", "share", "top-1", "drop", "agreement", "cosine")) {
      int end = header.indexOf(column) + column.length();
      for (String line : lines.subList(1, lines.size())) {
        if (line.length() >= end) {
          assertTrue(
              line.charAt(end - 1) != ' ' && (line.length() == end || line.charAt(end) == ' '),
              column + " is right-aligned in: " + line);
        }
      }
    }
  }

  @Test
  void theCompactViewPicksAndOrdersColumns() {
    Table t =
        Table.builder("t")
            .column("a", Table.Align.LEFT)
            .column("b", Table.Align.RIGHT)
            .column("c", Table.Align.LEFT)
            .optCompact("c", "a")
            .row("1", "2", "3")
            .row(true, List.of("4", "5", "6"))
            .note("n")
            .build();
    Table c = t.compact();
    assertEquals(List.of("c", "a"), c.columns().stream().map(Table.Column::header).toList());
    assertEquals(List.of("3", "1"), c.rows().get(0).cells());
    assertTrue(c.rows().get(1).highlighted());
    assertEquals(List.of("n"), c.notes());
    assertEquals(c, c.compact(), "a table without a compact view is its own");
  }

  @Test
  void misuseOfTheBuilderIsRefused() {
    Table.Builder tooMany = Table.builder("t").column("a", Table.Align.LEFT).row("1", "2");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, tooMany::build);
    assertTrue(e.getMessage().contains("2 cells for 1 columns"), e.getMessage());
    Table.Builder ambiguous =
        Table.builder("t")
            .column("p95", Table.Align.RIGHT)
            .column("p95", Table.Align.RIGHT)
            .optCompact("p95");
    assertThrows(IllegalArgumentException.class, ambiguous::build, "an ambiguous heading");
  }

  /** The sample report with a layer whose name and note hold Markdown and HTML syntax. */
  private static EvalReport hostile() {
    EvalReport r = SampleReports.eval(true);
    List<LayerParameters> layers = new ArrayList<>(r.params().layers());
    layers.add(
        new LayerParameters(
            Layer.linear(HOSTILE, 10, 32, true).withIneligible("note | with *stars* and <b>"),
            Optional.empty()));
    return r.toBuilder()
        .setParams(
            new ParameterComparison(
                r.params().original(), r.params().compressed(), layers, r.params().source()))
        .build();
  }

  /** The cells a rendering must show: the header, then each row's cells on one line. */
  private static List<List<String>> expected(Table t) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(t.columns().stream().map(Table.Column::header).toList());
    for (Table.Row r : t.rows()) {
      rows.add(r.cells().stream().map(c -> c.replace('\n', ' ')).toList());
    }
    return rows;
  }

  /** Reads a GitHub table back: from the line of the table's header to the next blank line. */
  private static List<List<String>> markdownTable(String md, Table t) {
    List<String> lines = md.lines().toList();
    String first = t.columns().get(0).header();
    String header = first.isEmpty() ? "| |" : "| " + first + " |";
    int start = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(header)
          && lines.get(i).contains(" " + t.columns().get(1).header() + " |")) {
        start = i;
        break;
      }
    }
    assertTrue(start >= 0, "no table '" + t.title() + "' in\n" + md);
    List<List<String>> rows = new ArrayList<>();
    for (int i = start; i < lines.size() && !lines.get(i).isBlank(); i++) {
      if (i == start + 1) {
        continue; // the alignment row
      }
      String line = lines.get(i);
      List<String> cells = new ArrayList<>();
      // Split on the pipes that are not escaped, inside the outer ones.
      for (String p : line.substring(1, line.length() - 1).split("(?<!\\\\)\\|", -1)) {
        cells.add(unMarkdown(p.trim()));
      }
      rows.add(cells);
    }
    return rows;
  }

  private static String unMarkdown(String cell) {
    String c = cell;
    if (c.startsWith("**") && c.endsWith("**") && c.length() >= 4) {
      c = c.substring(2, c.length() - 2);
    }
    Matcher code = Pattern.compile("^(`+) ?(.*?) ?\\1$").matcher(c);
    if (code.matches()) {
      return code.group(2).replace("\\|", "|");
    }
    return c.replaceAll("\\\\(.)", "$1");
  }

  /** Reads an HTML table back: the {@code <table>} after the table's {@code <h2>} title. */
  private static List<List<String>> htmlTable(String html, Table t) {
    String title = "<h2>" + Svg.escape(t.title()) + "</h2><table>";
    int at = html.indexOf(title);
    assertTrue(at >= 0, "no table '" + t.title() + "'");
    String table = html.substring(at + title.length(), html.indexOf("</table>", at));
    List<List<String>> rows = new ArrayList<>();
    Matcher tr = Pattern.compile("<tr[^>]*>(.*?)</tr>").matcher(table);
    while (tr.find()) {
      List<String> cells = new ArrayList<>();
      Matcher td = Pattern.compile("<t[dh][^>]*>(.*?)</t[dh]>").matcher(tr.group(1));
      while (td.find()) {
        cells.add(
            td.group(1)
                .replaceAll("</?code>", "")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&"));
      }
      rows.add(cells);
    }
    return rows;
  }
}
