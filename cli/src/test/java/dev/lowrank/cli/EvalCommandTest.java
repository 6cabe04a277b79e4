package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The eval command as a CI gate: exit 0 within the drop, 1 past it, 2 for bad input. */
class EvalCommandTest {

  @TempDir static Path shared;
  @TempDir Path tmp;
  static Path original;
  static Path compressed;

  @BeforeAll
  static void compressTheMlpFixture() throws IOException {
    original = shared.resolve("mlp_scripted.pt");
    try (InputStream in =
        EvalCommandTest.class.getResourceAsStream(
            "/dev/lowrank/datasets/torchscript/mlp_scripted.pt")) {
      Files.copy(in, original);
    }
    compressed = shared.resolve("mlp4.pt");
    CliRun run =
        CliRun.of(
            "compress",
            "--model",
            original.toString(),
            "--out",
            compressed.toString(),
            "--rank",
            "4");
    assertEquals(0, run.exitCode(), run.err());
  }

  private CliRun eval(String... extra) {
    String[] base = {
      "eval", "--model", original.toString(), "--compressed", compressed.toString(), "--no-latency"
    };
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return CliRun.of(args);
  }

  @Test
  void theGatePassesWithinTheDropAndFailsPastIt() throws Exception {
    Path json = tmp.resolve("report.json");
    CliRun within =
        eval("--data", "digits", "--max-accuracy-drop", "0.9", "--report", json.toString());
    assertEquals(0, within.exitCode(), within.err());
    JsonObject report = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    double drop = report.getAsJsonObject("accuracy").get("drop").getAsDouble();
    assertTrue(drop > 0.001, "rank 4 costs accuracy: " + drop);
    assertEquals(17_226, report.getAsJsonObject("params").get("original").getAsLong());
    assertEquals(0, report.getAsJsonArray("warnings").size(), "compressed from this original");
    assertFalse(within.err().contains("warning"), within.err());

    Path xml = tmp.resolve("junit.xml");
    CliRun past =
        eval(
            "--data",
            "digits",
            "--max-accuracy-drop",
            String.format(Locale.ROOT, "%.4f", drop / 2),
            "--junit-xml",
            xml.toString());
    assertEquals(1, past.exitCode(), past.out() + past.err());
    assertTrue(past.err().contains("gate failed"), past.err());
    assertTrue(past.err().contains("past the limit"), past.err());
    String junit = Files.readString(xml, StandardCharsets.UTF_8);
    assertTrue(junit.contains("<failure"), junit);
  }

  @Test
  void badDataExitsTwoWithTheFileNamed() throws Exception {
    Path missing = tmp.resolve("none.csv");
    CliRun noFile = eval("--data", missing.toString());
    assertEquals(2, noFile.exitCode());
    assertTrue(noFile.err().contains(missing.toString()), noFile.err());

    Path noLabel = tmp.resolve("nolabel.csv");
    Files.writeString(noLabel, header("target") + row(3));
    CliRun absent = eval("--data", noLabel.toString());
    assertEquals(2, absent.exitCode());
    assertTrue(absent.err().contains(noLabel.toString()), absent.err());
    assertTrue(absent.err().toLowerCase(Locale.ROOT).contains("label"), absent.err());

    Path outOfRange = tmp.resolve("range.csv");
    Files.writeString(outOfRange, header("label") + row(42));
    CliRun range = eval("--data", outOfRange.toString());
    assertEquals(2, range.exitCode());
    assertTrue(range.err().contains("42"), range.err());

    Path empty = tmp.resolve("empty.csv");
    Files.writeString(empty, header("label"));
    assertEquals(2, eval("--data", empty.toString()).exitCode());

    Path narrow = tmp.resolve("narrow.csv");
    Files.writeString(narrow, "a,b,label\n0.1,0.2,3\n");
    CliRun shape = eval("--data", narrow.toString());
    assertEquals(2, shape.exitCode());
    assertTrue(shape.err().contains(narrow.toString()), shape.err());

    CliRun limit = eval("--data", "digits", "--max-accuracy-drop", "-1");
    assertEquals(2, limit.exitCode());
    assertFalse(limit.err().isBlank());
  }

  @Test
  void aJunitXmlOrReportThatIsAnInputIsRefusedBeforeAnyWork() throws Exception {
    Path copy = Files.copy(original, tmp.resolve("m.pt"));
    byte[] bytes = Files.readAllBytes(copy);
    CliRun junit =
        CliRun.of(
            "eval",
            "--model",
            copy.toString(),
            "--compressed",
            compressed.toString(),
            "--data",
            "digits",
            "--no-latency",
            "--max-accuracy-drop",
            "0.9",
            "--junit-xml",
            copy.toString());
    assertEquals(2, junit.exitCode(), junit.err());
    assertEquals(
        "lowrank eval: --junit-xml "
            + copy
            + " is the same file as --model "
            + copy
            + "; choose another path\n",
        junit.err());
    assertArrayEquals(bytes, Files.readAllBytes(copy));

    Path csv = tmp.resolve("holdout.csv");
    Files.writeString(csv, header("label") + row(3));
    Path alias = Files.createLink(tmp.resolve("holdout.json"), csv);
    CliRun report = eval("--data", csv.toString(), "--report", alias.toString());
    assertEquals(2, report.exitCode(), report.err());
    assertTrue(
        report.err().contains("--report " + alias + " is the same file as --data " + csv),
        report.err());
    Path xml = tmp.resolve("j.xml");
    CliRun twice =
        eval(
            "--data",
            "digits",
            "--max-accuracy-drop",
            "0.9",
            "--report",
            xml.toString().replace(".xml", ".json"),
            "--junit-xml",
            xml.toString(),
            "--report",
            tmp.resolve("./j.json").toString());
    assertEquals(2, twice.exitCode(), twice.err());
    assertTrue(twice.err().contains("is the same file as --report"), twice.err());
    assertFalse(Files.exists(xml));
  }

  @Test
  void aCompressedModelOfAnotherOriginalIsBadInputNamingBoth() throws Exception {
    Path cnn = shared.resolve("cnn_scripted.pt");
    if (!Files.exists(cnn)) {
      try (InputStream in =
          EvalCommandTest.class.getResourceAsStream(
              "/dev/lowrank/datasets/torchscript/cnn_scripted.pt")) {
        Files.copy(in, cnn);
      }
    }
    Path json = tmp.resolve("r.json");
    CliRun run =
        CliRun.of(
            "eval",
            "--model",
            cnn.toString(),
            "--compressed",
            compressed.toString(),
            "--data",
            "digits",
            "--no-latency",
            "--report",
            json.toString());
    assertEquals(2, run.exitCode(), run.err());
    assertEquals(1, run.err().lines().count(), run.err());
    assertTrue(
        run.err()
            .startsWith(
                "lowrank eval: "
                    + compressed
                    + ": was compressed from 'mlp_scripted.pt' with SHA-256 "),
        run.err());
    assertTrue(
        run.err().contains(", not from " + cnn + " (SHA-256 ")
            && run.err().endsWith("; give --model the model it was compressed from\n"),
        run.err());
    assertFalse(Files.exists(json), "no report of a meaningless comparison");
  }

  @Test
  void aCompressedModelWithoutManifestIsComparedWithAWarning() throws Exception {
    Path copy = Files.copy(original, tmp.resolve("not-compressed.pt"));
    Path json = tmp.resolve("r.json");
    Path md = tmp.resolve("r.md");
    CliRun run =
        CliRun.of(
            "eval",
            "--model",
            original.toString(),
            "--compressed",
            copy.toString(),
            "--data",
            "digits",
            "--no-latency",
            "--report",
            json.toString(),
            "--report",
            md.toString());
    assertEquals(0, run.exitCode(), run.err());
    String warning =
        copy
            + ": has no lowrank manifest, so it cannot be checked that it was compressed from "
            + original
            + "; compared anyway";
    assertEquals("lowrank eval: warning: " + warning + "\n", run.err());
    JsonObject report = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    assertEquals(1, report.getAsJsonArray("warnings").size());
    assertEquals(warning, report.getAsJsonArray("warnings").get(0).getAsString());
    assertTrue(
        run.out().matches("(?s)warning +" + Pattern.quote(warning) + "\n.*"),
        "the printed report starts with it: " + run.out());
    assertTrue(Files.readString(md).contains("**Warning:**"), "in every report");
  }

  @Test
  void reportsAreWrittenWithTheModeOfEveryOtherFile() throws Exception {
    Path json = tmp.resolve("e.json");
    Path md = tmp.resolve("e.md");
    Path xml = tmp.resolve("junit.xml");
    CliRun run =
        eval(
            "--data",
            "digits",
            "--max-accuracy-drop",
            "0.9",
            "--report",
            json.toString(),
            "--report",
            md.toString(),
            "--junit-xml",
            xml.toString());
    assertEquals(0, run.exitCode(), run.err());
    Set<PosixFilePermission> usual =
        Files.getPosixFilePermissions(Files.writeString(tmp.resolve("reference"), ""));
    for (Path p : List.of(json, md, xml)) {
      assertEquals(usual, Files.getPosixFilePermissions(p), p.toString());
    }
    assertTrue(Files.readString(xml).contains("<testsuite"));
  }

  @Test
  void anUnknownReportFormatIsRefusedBeforeAnyWork() {
    Path pdf = tmp.resolve("e.pdf");
    CliRun run = eval("--data", "digits", "--report", pdf.toString());
    assertEquals(2, run.exitCode());
    assertTrue(
        run.err().startsWith("lowrank eval: --report " + pdf + ": unknown report format"),
        run.err());
    assertEquals("", run.out(), "refused before the evaluation ran");
  }

  @Test
  void anAbsurdBatchSizeIsBadInputNotACrash() {
    CliRun run =
        CliRun.of(
            "eval",
            "--model",
            original.toString(),
            "--compressed",
            compressed.toString(),
            "--data",
            "digits",
            "--batch-sizes",
            "1,1000000000");
    assertEquals(2, run.exitCode(), run.err());
    assertEquals(
        "lowrank eval: --batch-sizes: 1000000000 is out of range; each batch size must be between 1"
            + " and 65,536\n",
        run.err());
  }

  @Test
  void aHugeCsvCellIsNotEchoed() throws Exception {
    Path csv = tmp.resolve("huge.csv");
    Files.writeString(csv, header("label") + "x".repeat(1_000_000) + "," + row(3).substring(2));
    CliRun run = eval("--data", csv.toString());
    assertEquals(2, run.exitCode(), run.err());
    String line = run.err().strip();
    assertEquals(1, line.lines().count());
    assertTrue(line.length() < 400, line.length() + " characters");
    assertTrue(line.contains(csv.toString()), line);
    assertTrue(line.contains("x".repeat(ErrorHandler.MAX_QUOTED) + "..."), line);
  }

  private static String header(String label) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 64; i++) {
      sb.append("p").append(i).append(',');
    }
    return sb.append(label).append('\n').toString();
  }

  private static String row(int label) {
    return "0,".repeat(64) + label + "\n";
  }
}
