package dev.lowrank.eval.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.testing.SampleReports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWritersTest {

  @TempDir Path tmp;

  @Test
  void jsonCarriesTheDocumentedFields() {
    JsonObject j =
        JsonParser.parseString(ReportWriters.json().render(SampleReports.eval(true)))
            .getAsJsonObject();
    assertEquals(
        Set.of(
            "schema",
            "schemaVersion",
            "tool",
            "toolVersion",
            "models",
            "data",
            "params",
            "size",
            "accuracy",
            "fidelity",
            "outputs",
            "pooling",
            "latency",
            "threads",
            "spectra",
            "tradeoff",
            "gate",
            "warnings"),
        j.keySet(),
        "the top-level fields REPORT-SCHEMA.md documents");
    assertEquals("lowrank-eval-report", j.get("schema").getAsString());
    assertEquals(1, j.get("schemaVersion").getAsInt());
    assertEquals("0.1.0-test", j.get("toolVersion").getAsString());
    assertEquals(6570, j.getAsJsonObject("params").get("original").getAsLong());
    assertEquals(2218, j.getAsJsonObject("params").get("compressed").getAsLong());
    assertEquals(2218.0 / 6570, j.getAsJsonObject("params").get("ratio").getAsDouble(), 1e-12);
    JsonObject layer0 =
        j.getAsJsonObject("params").getAsJsonArray("layers").get(0).getAsJsonObject();
    assertEquals(8, layer0.get("rank").getAsInt());
    assertEquals(64, layer0.getAsJsonArray("shape").get(0).getAsInt());
    JsonObject layer2 =
        j.getAsJsonObject("params").getAsJsonArray("layers").get(2).getAsJsonObject();
    assertTrue(layer2.get("rank").isJsonNull());
    assertEquals("its parent reads W | directly", layer2.get("note").getAsString());
    assertTrue(layer0.get("note").isJsonNull());
    assertEquals(27_136, j.getAsJsonObject("size").get("original").getAsLong());
    assertEquals(11_674, j.getAsJsonObject("size").get("compressed").getAsLong());
    JsonObject acc = j.getAsJsonObject("accuracy");
    assertEquals(351 / 360.0, acc.get("original").getAsDouble(), 1e-12);
    assertEquals(346 / 360.0, acc.get("compressed").getAsDouble(), 1e-12);
    assertEquals(5 / 360.0, acc.get("drop").getAsDouble(), 1e-12);
    assertEquals("fraction", acc.get("unit").getAsString());
    assertEquals(1 / 360.0, acc.getAsJsonObject("top5").get("drop").getAsDouble(), 1e-12);
    JsonObject b1 = j.getAsJsonObject("latency").getAsJsonArray("batches").get(0).getAsJsonObject();
    assertEquals(1, b1.get("batchSize").getAsInt());
    assertEquals(0.05, b1.getAsJsonObject("original").get("p50Ms").getAsDouble(), 1e-12);
    assertTrue(b1.getAsJsonObject("compressed").has("p95Ms"));
    assertTrue(b1.getAsJsonObject("compressed").has("meanMs"));
    assertTrue(b1.getAsJsonObject("compressed").has("throughput"));
    assertEquals(0.05 / 0.0375, b1.get("speedup").getAsDouble(), 1e-9);
    assertEquals(2, j.getAsJsonObject("threads").get("intraOp").getAsInt());
    assertEquals(360, j.getAsJsonObject("data").get("samples").getAsInt());
    assertEquals(3, j.getAsJsonArray("spectra").size());
    assertEquals(2, j.getAsJsonArray("tradeoff").size());
    assertTrue(j.getAsJsonObject("gate").get("passed").getAsBoolean());
    assertEquals(
        0.01, j.getAsJsonObject("fidelity").get("relativeL2Error").getAsDouble() / 8.12, 1e-9);
  }

  @Test
  void keyFiguresUseTheJsonNames() {
    Map<String, String> k = SampleReports.eval(true).keyFigures();
    assertEquals("6570", k.get("params.original"));
    assertEquals("0.337595", k.get("params.ratio"));
    assertEquals("0.0138889", k.get("accuracy.drop"));
    assertEquals("1.33333", k.get("latency.b1.speedup"));
    assertFalse(SampleReports.eval(false).keyFigures().containsKey("accuracy.drop"));
  }

  @Test
  void jsonOfUnlabeledDataHasNullAccuracyAndAFidelityGate() {
    JsonObject j =
        JsonParser.parseString(ReportWriters.json().render(SampleReports.eval(false)))
            .getAsJsonObject();
    assertTrue(j.get("accuracy").isJsonNull());
    assertEquals(
        "top1-disagreement",
        j.getAsJsonObject("gate")
            .getAsJsonArray("checks")
            .get(0)
            .getAsJsonObject()
            .get("name")
            .getAsString());
    assertFalse(j.getAsJsonObject("data").get("labeled").getAsBoolean());
  }

  @Test
  void markdownHasTheSummaryTableTheGateAndTheLayers() {
    String md = ReportWriters.markdown().render(SampleReports.eval(true));
    assertTrue(md.contains("| parameters | 6,570 | 2,218 | 33.8% of original |"), md);
    assertTrue(md.contains("| top-1 accuracy | 97.50% | 96.11% | drop 1.39 pp |"), md);
    assertTrue(md.contains("| latency p50, batch 1 | 0.050 ms | 0.038 ms | 1.33x faster |"), md);
    assertTrue(md.contains("**Gate: passed**"), md);
    assertTrue(
        md.contains(
            "| `05Linear` | 10x32 | 330 | 330 | dense | 100.0% | its parent reads W \\| directly |"),
        md);
  }

  @Test
  void textIsAlignedLinesForATerminal() {
    String text = ReportWriters.text().render(SampleReports.eval(true));
    assertTrue(text.contains("parameters         6,570 -> 2,218 (33.8%)\n"), text);
    assertTrue(text.contains("top-1 accuracy     97.50% -> 96.11% (drop 1.39 pp)\n"), text);
    assertTrue(text.contains("gate: passed       accuracy-drop: "), text);
    String search = ReportWriters.text().render(SampleReports.search());
    assertTrue(
        search.contains("rank 8    8/8/-     2,218   33.8%  91.67%   5.83 pp     92.22%  0.9375\n"),
        search);
    assertTrue(
        search.endsWith(
            "chosen: rank 8: 2,218 parameters (33.8% of 6,570), drop 5.83 pp <= 6.00 pp\n"),
        search);
  }

  @Test
  void sweepAndSearchRenderInEveryFormat() {
    for (ReportWriter w :
        new ReportWriter[] {
          ReportWriters.json(), ReportWriters.markdown(), ReportWriters.html(), ReportWriters.text()
        }) {
      String sweep = w.render(SampleReports.sweep());
      assertTrue(sweep.contains("rank 16"), w.format());
      String search = w.render(SampleReports.search());
      assertTrue(search.contains("rank 8"), w.format());
    }
    String md = ReportWriters.markdown().render(SampleReports.sweep());
    assertTrue(
        md.contains(
            "| rank 2 | 874 | 13.3% | 6.3 KiB | 41.67% | 55.83 pp | 42.22% | 0.7500 | 0.5000 |"
                + " 2/2/- |"),
        md);
    assertTrue(md.contains("| 2/2/- |"), md);
    JsonObject j =
        JsonParser.parseString(ReportWriters.json().render(SampleReports.search()))
            .getAsJsonObject();
    assertEquals("rank 8", j.getAsJsonObject("chosen").get("setting").getAsString());
    assertEquals(4, j.getAsJsonArray("points").size());
  }

  @Test
  void htmlIsSelfContainedWithItsPlots() {
    String html = ReportWriters.html().render(SampleReports.eval(true));
    assertTrue(html.startsWith("<!DOCTYPE html>"));
    assertEquals(4, count(html, "<svg "), "spectra, accuracy, latency, speedup");
    for (String id : new String[] {"spectra", "tradeoff", "latency", "speedup"}) {
      assertTrue(html.contains("id=\"" + id + "\""), id);
    }
    assertFalse(html.contains("<script"), "no script");
    assertFalse(html.contains("<link"), "no stylesheet link");
    assertFalse(html.contains(" src="), "no external image or script");
    // The only URL is the SVG namespace, which is a name, not a resource.
    Matcher urls = Pattern.compile("https?://[^\"\\s]+").matcher(html);
    while (urls.find()) {
      assertEquals("http://www.w3.org/2000/svg", urls.group());
    }
    assertTrue(html.contains("models/mlp &lt;r8&gt;"), "model paths are escaped");
    assertFalse(html.contains("mlp <r8>"));
  }

  @Test
  void everyWriterShowsTheWarnings() {
    String warning = "models/mlp <r8>: has no lowrank manifest, so it cannot be checked";
    EvalReport r = SampleReports.eval(true).toBuilder().optWarnings(List.of(warning)).build();
    JsonObject j = JsonParser.parseString(ReportWriters.json().render(r)).getAsJsonObject();
    assertEquals(1, j.getAsJsonArray("warnings").size());
    assertEquals(warning, j.getAsJsonArray("warnings").get(0).getAsString());
    assertTrue(
        ReportWriters.text().render(r).startsWith("warning            " + warning + "\n"),
        "the terminal's first line");
    String md = ReportWriters.markdown().render(r);
    assertTrue(
        md.contains("> **Warning:** models/mlp \\<r8\\>: has no lowrank manifest, so it"), md);
    assertTrue(
        ReportWriters.html()
            .render(r)
            .contains(
                "<div class=\"warn\">Warning: models/mlp &lt;r8&gt;: has no lowrank manifest"));
    JsonObject none =
        JsonParser.parseString(ReportWriters.json().render(SampleReports.eval(true)))
            .getAsJsonObject();
    assertEquals(0, none.getAsJsonArray("warnings").size(), "an empty list, never absent");
  }

  @Test
  void toBuilderCopiesEveryFieldAndWithersChangeOnlyTheirs() {
    EvalReport r = SampleReports.eval(true);
    assertEquals(r, r.toBuilder().build());
    EvalReport other = r.withTradeoff(List.of());
    assertEquals(List.of(), other.tradeoff());
    assertEquals(r.gate(), other.gate());
    assertEquals(r.params(), other.params());
    assertEquals(0.5, r.withGate(0.5).gate().orElseThrow().checks().get(0).limit(), 1e-12);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> EvalReport.builder().build());
    assertTrue(e.getMessage().contains("setToolVersion"), e.getMessage());
  }

  @Test
  void everyFormatShowsTheCosinesOfPooledEmbeddings() {
    EvalReport r = SampleReports.textEval();
    JsonObject j = JsonParser.parseString(ReportWriters.json().render(r)).getAsJsonObject();
    assertEquals("mean", j.get("pooling").getAsString());
    assertEquals(384, j.get("outputs").getAsInt());
    JsonObject f = j.getAsJsonObject("fidelity");
    assertEquals(0.9123, f.get("meanCosine").getAsDouble(), 1e-12);
    assertEquals(0.7012, f.get("minCosine").getAsDouble(), 1e-12);
    String text = ReportWriters.text().render(r);
    assertTrue(
        text.contains("outputs            mean-pooled sentence embeddings, 384 values each\n"),
        text);
    assertTrue(
        text.contains(
            "fidelity           cosine mean 0.9123, min 0.7012, relative L2 error 0.4123\n"),
        text);
    assertFalse(text.contains("top-1 agreement"), "embeddings have no classes: " + text);
    String md = ReportWriters.markdown().render(r);
    assertTrue(
        md.contains("| cosine of embeddings to the original's | | mean 0.9123, min 0.7012 | |"),
        md);
    assertTrue(md.contains("compared: mean-pooled sentence embeddings"), md);
    assertFalse(md.contains("| top-1 agreement |"), md);
    String html = ReportWriters.html().render(r);
    assertTrue(
        html.contains("<div class=\"k\">Embedding cosine</div><div class=\"v\">0.9123"), html);
    assertTrue(html.contains("mean over the texts, min 0.7012"), html);
    assertEquals("0.912300", r.keyFigures().get("fidelity.meanCosine"));
    assertEquals("0.701200", r.keyFigures().get("fidelity.minCosine"));
    assertEquals("mean", r.keyFigures().get("pooling"));
  }

  @Test
  void withoutCosinesTheFieldsAreNullAndNoRowIsShown() {
    EvalReport r = SampleReports.eval(true);
    JsonObject j = JsonParser.parseString(ReportWriters.json().render(r)).getAsJsonObject();
    assertTrue(j.get("pooling").isJsonNull());
    assertTrue(j.getAsJsonObject("fidelity").get("meanCosine").isJsonNull());
    assertTrue(j.getAsJsonObject("fidelity").get("minCosine").isJsonNull());
    assertFalse(ReportWriters.markdown().render(r).contains("cosine"));
    assertFalse(ReportWriters.text().render(r).contains("cosine"));
  }

  @Test
  void aSweepOfEmbeddingsShowsTheirCosinesAndAFidelitySearchItsGoal() {
    String text = ReportWriters.text().render(SampleReports.textSweep());
    assertEquals(
        List.of("setting", "ranks", "params", "share", "cosine", "min", "cosine"),
        List.of(text.lines().findFirst().orElseThrow().trim().split("\\s+")),
        "top-1, drop and agreement do not apply to embeddings: " + text);
    assertTrue(text.contains("rank 8    8/8/-     2,218   33.8%  0.9375      0.8750\n"), text);
    assertTrue(text.contains("mean-pooled sentence embeddings"), "the note says what: " + text);
    JsonObject sweep =
        JsonParser.parseString(ReportWriters.json().render(SampleReports.textSweep()))
            .getAsJsonObject();
    assertEquals("mean", sweep.get("pooling").getAsString());
    JsonObject point = sweep.getAsJsonArray("points").get(2).getAsJsonObject();
    assertEquals(0.9375, point.getAsJsonObject("fidelity").get("meanCosine").getAsDouble(), 1e-12);
    assertEquals(0.875, point.getAsJsonObject("fidelity").get("minCosine").getAsDouble(), 1e-12);

    SearchResult search = SampleReports.fidelitySearch();
    JsonObject j = JsonParser.parseString(ReportWriters.json().render(search)).getAsJsonObject();
    JsonObject criterion = j.getAsJsonObject("criterion");
    assertEquals("min-fidelity", criterion.get("kind").getAsString());
    assertEquals("cosine", criterion.get("metric").getAsString());
    assertEquals(0.9, criterion.get("limit").getAsDouble(), 1e-12);
    assertTrue(j.get("maxAccuracyDrop").isJsonNull());
    String md = ReportWriters.markdown().render(search);
    assertTrue(
        md.startsWith(
            "### lowrank search: smallest `mlp` with a cosine fidelity of at least 0.9000 (mean"
                + " cosine of embeddings)\n"),
        md);
    assertTrue(md.contains("cosine 0.9375 \\>= 0.9000"), md);
    String html = ReportWriters.html().render(search);
    assertTrue(html.contains("</code> with a cosine fidelity of at least 0.9000"), html);
    JsonObject drop =
        JsonParser.parseString(ReportWriters.json().render(SampleReports.search()))
            .getAsJsonObject()
            .getAsJsonObject("criterion");
    assertEquals("max-accuracy-drop", drop.get("kind").getAsString());
    assertEquals(0.06, drop.get("limit").getAsDouble(), 1e-12);
    assertTrue(
        ReportWriters.markdown()
            .render(SampleReports.search())
            .startsWith("### lowrank search: smallest `mlp` within an accuracy drop of 6.00 pp\n"));
  }

  @Test
  void writesByExtensionAndRefusesUnknownOnes() throws Exception {
    for (String name : new String[] {"r.json", "r.md", "r.html"}) {
      Path file = tmp.resolve("out").resolve(name);
      ReportWriters.write(SampleReports.eval(true), file);
      assertTrue(Files.size(file) > 500, name);
    }
    assertEquals("markdown", ReportWriters.forFile(Path.of("x.markdown")).format());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ReportWriters.forFile(Path.of("r.pdf")));
    assertTrue(e.getMessage().contains("name the file .json, .md, .html or .txt"));
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
