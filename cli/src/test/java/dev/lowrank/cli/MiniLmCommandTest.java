package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.datasets.testing.TextFixture;
import dev.lowrank.zoo.minilm.MiniLmMethod;
import dev.lowrank.zoo.minilm.MiniLmReport;
import dev.lowrank.zoo.minilm.MiniLmSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code lowrank zoo run minilm}: its options map onto the example's settings, bad ones exit 2
 * before any work, and a small run prints the table and writes it between the README's markers.
 */
class MiniLmCommandTest {

  @TempDir Path tmp;

  private static ZooRunCommand parse(String... args) {
    ZooRunCommand run = new ZooRunCommand();
    new CommandLine(run).parseArgs(args);
    return run;
  }

  @Test
  void optionsMapOntoTheSettingsWithoutRunning() {
    ZooRunCommand run =
        parse(
            "minilm",
            "--ratios",
            "0.5,0.25",
            "--methods",
            "plain,global",
            "--calibration-samples",
            "32",
            "--sensitivity-samples",
            "16",
            "--pairs",
            "20",
            "--train-texts",
            "30",
            "--test-texts",
            "40");
    MiniLmSettings s = run.minilm.settings(Optional.empty(), List.of(1, 32));
    assertEquals(List.of(0.5, 0.25), s.shares());
    assertEquals(List.of(MiniLmMethod.PLAIN, MiniLmMethod.GLOBAL), s.methods());
    assertEquals(List.of(32, 16), List.of(s.calibrationTexts(), s.sensitivitySamples()));
    assertEquals(List.of(20, 30, 40), List.of(s.pairs(), s.trainTexts(), s.testTexts()));
    assertEquals(List.of(1, 32), s.latency().orElseThrow().batchSizes());

    MiniLmSettings one = parse("minilm").minilm.settings(Optional.of(0.4), List.of());
    assertEquals(List.of(0.4), one.shares());
    assertEquals(MiniLmSettings.builder().build().methods(), one.methods());
    assertTrue(one.latency().isEmpty());
  }

  @Test
  void badOptionsExitTwoBeforeAnyWork() throws Exception {
    Path noMarkers = Files.writeString(tmp.resolve("plain.md"), "no table here\n");
    String[][] cases = {
      {"--ratios", "0.5,1.5"},
      {"--methods", "plain,asvd"},
      {"--pairs", "0"},
      {"--train-texts", "1"},
      {"--calibration-samples", "0"},
      {"--ratio", "0.5", "--ratios", "0.3"},
      {"--rank", "8"},
      {"--max-accuracy-drop", "0.01"},
      {"--finetune"},
      {"--report", tmp.resolve("r.json").toString()},
      {"--batch-sizes", "0"},
      {"--write", tmp.resolve("missing.md").toString()},
      {"--write", noMarkers.toString()},
    };
    String[] expected = {
      "--ratios: A share must be in (0, 1), got 1.5",
      "--methods: 'asvd' is not a method",
      "--pairs: The retrieval pairs must be at least 2, got 0",
      "--train-texts: The train texts must be at least 2, got 1",
      "--calibration-samples: The calibration texts must be at least 1, got 0",
      "--ratio: give either --ratio X or --ratios X,Y",
      "use --ratio X or --ratios X,Y",
      "use --ratio X or --ratios X,Y",
      "--finetune: minilm is an ONNX model",
      "--report writes a classifier's eval report",
      "--batch-sizes: 0 is out of range",
      "missing.md: no such file to write the table into",
      "plain.md: lacks the table markers",
    };
    for (int i = 0; i < cases.length; i++) {
      String[] args = new String[cases[i].length + 2];
      args[0] = "run";
      args[1] = "minilm";
      System.arraycopy(cases[i], 0, args, 2, cases[i].length);
      CliRun run = CliRun.of(prepend("zoo", args));
      assertEquals(2, run.exitCode(), String.join(" ", cases[i]) + ": " + run.err());
      assertTrue(run.err().startsWith("lowrank zoo run: "), run.err());
      assertTrue(run.err().contains(expected[i]), String.join(" ", cases[i]) + ": " + run.err());
      assertEquals(1, run.err().lines().count(), "one line: " + run.err());
      assertEquals("", run.out(), "nothing ran: " + run.out());
    }
    assertEquals("no table here\n", Files.readString(noMarkers));
    assertFalse(Files.exists(tmp.resolve("r.json")));

    CliRun notMiniLm = CliRun.of("zoo", "run", "mlp-digits", "--pairs", "5");
    assertEquals(2, notMiniLm.exitCode(), notMiniLm.err());
    assertTrue(
        notMiniLm.err().contains("--pairs applies to the minilm example only"), notMiniLm.err());
    CliRun serve = CliRun.of("zoo", "serve", "minilm", "--rank", "8");
    assertEquals(2, serve.exitCode(), serve.err());
    assertTrue(serve.err().contains("only lowrank zoo run minilm runs it"), serve.err());
  }

  private static String[] prepend(String first, String[] rest) {
    String[] out = new String[rest.length + 1];
    out[0] = first;
    System.arraycopy(rest, 0, out, 1, rest.length);
    return out;
  }

  @Test
  void aSmallRunPrintsTheTableAndWritesItBetweenTheMarkers() throws Exception {
    TextFixture.cacheOrSkip();
    Path readme = tmp.resolve("README.md");
    Files.writeString(
        readme,
        "# before\n" + MiniLmReport.START + "\nold table\n" + MiniLmReport.END + "\n# after\n",
        StandardCharsets.UTF_8);
    CliRun run =
        CliRun.of(
            "zoo",
            "run",
            "minilm",
            "--ratio",
            "0.5",
            "--methods",
            "plain",
            "--pairs",
            "10",
            "--train-texts",
            "20",
            "--test-texts",
            "10",
            "--no-latency",
            "--write",
            readme.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().startsWith("minilm (all-MiniLM-L6-v2 sentence encoder (ONNX)"), run.out());
    assertTrue(run.out().contains("recall@1"), run.out());
    assertTrue(run.out().matches("(?s).*\\n\\s*0\\.5\\s+plain\\s.*"), run.out());
    assertTrue(run.out().contains("wrote " + readme), run.out());
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    assertTrue(text.startsWith("# before\n" + MiniLmReport.START + "\n| share |"), text);
    assertTrue(text.endsWith(MiniLmReport.END + "\n# after\n"), text);
    assertFalse(text.contains("old table"), text);
    assertTrue(text.contains("| 0.5 | plain | 96/96/96/96/153/153 |"), text);
    assertTrue(text.contains("10 subject -> body retrieval pairs"), text);
  }
}
