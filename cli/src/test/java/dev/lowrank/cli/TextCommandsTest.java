package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.datasets.Cache;
import dev.lowrank.datasets.minilm.MiniLm;
import dev.lowrank.datasets.testing.TextFixture;
import dev.lowrank.datasets.text.TextSets;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text through compress, eval and sweep end to end, as a user runs them on a real sentence encoder:
 * all-MiniLM-L6-v2 as the Maven jar carries it (ONNX file and tokenizer; no Python), calibrated on
 * real English text and measured on other real, labeled text, with the per-token states mean-pooled
 * into the sentence embeddings whose cosines the reports show.
 */
class TextCommandsTest {

  @TempDir static Path shared;
  @TempDir Path tmp;
  static Path onnx;
  static Path tokenizer;
  static Path calibration;
  static Path test;
  static Path compressed;
  static Path compressReport;
  static CliRun compressRun;

  @BeforeAll
  static void compressWithTextCalibration() throws Exception {
    Path cache = TextFixture.cacheOrSkip();
    MiniLm.Files minilm = MiniLm.files(Cache.root());
    onnx = minilm.onnx();
    tokenizer = minilm.tokenizer();
    calibration = shared.resolve("calibration.txt");
    List<String> lines = new ArrayList<>();
    for (String t : TextSets.calibration(cache, 8)) {
      lines.add(t.replace('\n', ' ').replace('\r', ' '));
    }
    Files.write(calibration, lines);
    test = shared.resolve("spam-test.tsv");
    TextSets.spamClassification(cache, TextSets.Part.TEST, 12).writeTsv(test);
    compressed = shared.resolve("minilm-half.onnx");
    compressReport = shared.resolve("compress.json");
    compressRun =
        CliRun.of(
            "compress",
            "--model",
            onnx.toString(),
            "--out",
            compressed.toString(),
            "--ratio",
            "0.5",
            "--calibration",
            calibration.toString(),
            "--tokenizer",
            tokenizer.toString(),
            "--max-length",
            "32",
            "--calibration-samples",
            "8",
            "--report",
            compressReport.toString());
  }

  @Test
  void compressCalibratesOnTokenizedText() throws Exception {
    assertEquals(0, compressRun.exitCode(), compressRun.err());
    assertTrue(
        compressRun.out().contains("calibration: calibration.txt, 8 samples"), compressRun.out());
    JsonObject json = JsonParser.parseString(Files.readString(compressReport)).getAsJsonObject();
    JsonObject cal = json.getAsJsonObject("calibration");
    assertEquals(8, cal.get("samples").getAsInt());
    int tokens = cal.get("tokens").getAsInt();
    assertTrue(
        tokens > 8 && tokens <= 8 * 32, "at most 32 tokens a text, padding left out: " + tokens);
    assertEquals("whitened", json.getAsJsonObject("settings").get("method").getAsString());
    int checked = 0;
    for (JsonElement e : json.getAsJsonArray("layers")) {
      JsonObject data = e.getAsJsonObject().getAsJsonObject("data");
      if (data != null && !data.get("optimalError").isJsonNull()) {
        assertEquals(
            data.get("optimalError").getAsDouble(),
            data.get("relativeError").getAsDouble(),
            1e-3,
            "each layer at its data-weighted optimum on the text: " + e);
        checked++;
      }
    }
    assertEquals(36, checked, "every encoder linear layer was truncated on the text's statistics");
  }

  @Test
  void evalReportsTheCosinesOfPooledEmbeddings() throws Exception {
    assertEquals(0, compressRun.exitCode(), compressRun.err());
    Path json = tmp.resolve("eval.json");
    Path md = tmp.resolve("eval.md");
    CliRun run =
        CliRun.of(
            "eval",
            "--model",
            onnx.toString(),
            "--compressed",
            compressed.toString(),
            "--data",
            test.toString(),
            "--tokenizer",
            tokenizer.toString(),
            "--max-length",
            "32",
            "--pooling",
            "mean",
            "--no-latency",
            "--report",
            json.toString(),
            "--report",
            md.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("mean-pooled sentence embeddings, 384 values each"), run.out());
    JsonObject r = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    assertEquals("mean", r.get("pooling").getAsString());
    assertEquals(384, r.get("outputs").getAsInt());
    assertTrue(r.get("accuracy").isJsonNull(), "embeddings have no classes");
    assertEquals("text", r.getAsJsonObject("data").get("format").getAsString());
    JsonObject f = r.getAsJsonObject("fidelity");
    assertEquals(12, f.get("samples").getAsInt());
    double mean = f.get("meanCosine").getAsDouble();
    double min = f.get("minCosine").getAsDouble();
    assertTrue(mean > 0 && mean < 0.9999, "half the weights change the embeddings: " + mean);
    assertTrue(min <= mean, min + " <= " + mean);
    assertTrue(
        run.out().contains(String.format(java.util.Locale.ROOT, "cosine mean %.4f", mean)),
        run.out());
    assertTrue(
        Files.readString(md).contains("| cosine of embeddings to the original's |"),
        Files.readString(md));
  }

  @Test
  void sweepComparesPooledEmbeddings() throws Exception {
    Path json = tmp.resolve("sweep.json");
    CliRun run =
        CliRun.of(
            "sweep",
            "--model",
            onnx.toString(),
            "--data",
            test.toString(),
            "--tokenizer",
            tokenizer.toString(),
            "--max-length",
            "32",
            "--pooling",
            "mean",
            "--ratios",
            "0.5",
            "--report",
            json.toString());
    assertEquals(0, run.exitCode(), run.err());
    String header = run.out().lines().findFirst().orElseThrow();
    assertTrue(header.endsWith("share  cosine  min cosine"), run.out());
    JsonObject r = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    assertEquals("mean", r.get("pooling").getAsString());
    JsonArray points = r.getAsJsonArray("points");
    assertEquals(1, points.size());
    JsonObject p = points.get(0).getAsJsonObject();
    assertTrue(p.get("accuracy").isJsonNull() && p.get("drop").isJsonNull(), p.toString());
    double cosine = p.getAsJsonObject("fidelity").get("meanCosine").getAsDouble();
    assertTrue(cosine > 0 && cosine < 0.9999, "plain SVD at half the weights: " + cosine);
  }

  @Test
  void aLatencyBatchTooLargeForAnArrayIsBadInputNamingTheOption() {
    Path report = tmp.resolve("never.json");
    CliRun run =
        CliRun.of(
            "eval",
            "--model",
            onnx.toString(),
            "--compressed",
            onnx.toString(),
            "--data",
            test.toString(),
            "--tokenizer",
            tokenizer.toString(),
            "--pooling",
            "mean",
            "--batch-sizes",
            "1,65536",
            "--report",
            report.toString());
    assertEquals(2, run.exitCode(), run.err());
    String line = run.err().strip();
    assertEquals(1, line.lines().count(), run.err());
    assertTrue(
        line.startsWith(
            "lowrank eval: --batch-sizes: a batch of 65,536 samples: its per-token outputs (128"
                + " tokens x 384 per sample) hold 3,221,225,472 values, more than one Java array"
                + " can (2,147,483,639); use batch sizes of at most "),
        line);
    assertFalse(Files.exists(report), "nothing written");
  }

  @Test
  void theSearchPoolsWhatItCompares() throws Exception {
    // The bundled MLP returns class scores, not per-token states: that the search refuses to pool
    // them shows that --pooling reaches it.
    Path mlp = tmp.resolve("mlp_scripted.pt");
    try (InputStream in =
        TextCommandsTest.class.getResourceAsStream(
            "/dev/lowrank/datasets/torchscript/mlp_scripted.pt")) {
      Files.copy(in, mlp);
    }
    Path out = tmp.resolve("never.pt");
    CliRun run =
        CliRun.of(
            "compress",
            "--model",
            mlp.toString(),
            "--out",
            out.toString(),
            "--min-fidelity",
            "0.9",
            "--data",
            "digits",
            "--no-labels",
            "--pooling",
            "mean");
    assertEquals(2, run.exitCode(), run.err());
    assertTrue(run.err().contains("pooling needs per-token states"), run.err());
    assertFalse(Files.exists(out));
  }
}
