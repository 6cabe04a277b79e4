package dev.lowrank.cli;

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
import java.util.Locale;
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
