package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.TruncationMethod;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The calibration options of compress, sweep and inspect on the bundled TorchScript MLP with the
 * digits training split: data-aware compression end to end, the search by output fidelity, the data
 * energies of inspect, and bad calibration data exiting 2 with one line and nothing written.
 */
class CalibrationCommandTest {

  @TempDir static Path shared;
  @TempDir Path tmp;
  static Path model;

  @BeforeAll
  static void copyFixture() throws Exception {
    model = shared.resolve("mlp_scripted.pt");
    try (InputStream in =
        CalibrationCommandTest.class.getResourceAsStream(
            "/dev/lowrank/datasets/torchscript/mlp_scripted.pt")) {
      Files.copy(in, model);
    }
  }

  @Test
  void parsesTheOptionsIntoTheSpec() {
    CompressCommand cmd = new CompressCommand();
    picocli.CommandLine cli = new picocli.CommandLine(cmd);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.parseArgs(
        "--model",
        "m.pt",
        "--out",
        "o.pt",
        "--ratio",
        "0.5",
        "--scope",
        "global",
        "--calibration",
        "digits",
        "--calibration-samples",
        "100",
        "--calibration-mask",
        "mask",
        "--method",
        "whitened",
        "--sequential",
        "--allocation",
        "sensitivity");
    CompressionSpec spec =
        cmd.calibration.apply(
            cmd.compression.spec(cmd.setting.policy()), Optional.empty(), cmd.text);
    assertEquals(TruncationMethod.WHITENED, spec.method());
    assertTrue(spec.sequential());
    assertEquals("sensitivity", spec.settings().get("allocation"));
    assertEquals(100, spec.calibration().orElseThrow().samples());
    assertEquals(Optional.of("mask"), spec.calibration().orElseThrow().mask());
    assertEquals(
        spec.calibration().get(),
        cmd.calibration
            .apply(cmd.compression.spec(RankPolicy.ratio(0.3)), Optional.empty(), cmd.text)
            .calibration()
            .get(),
        "every spec of a search shares one calibration (and so its statistics)");
  }

  @Test
  void compressesWithCalibrationAndReportsTheDataFit() throws Exception {
    Path out = tmp.resolve("mlp8.pt");
    Path report = tmp.resolve("r.json");
    CliRun run =
        CliRun.of(
            "compress",
            "--model",
            model.toString(),
            "--out",
            out.toString(),
            "--rank",
            "8",
            "--calibration",
            "digits",
            "--svd",
            "exact",
            "--report",
            report.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("data error"), run.out());
    assertTrue(run.out().contains("calibration: digits training split, 512 samples"), run.out());
    JsonObject json = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
    assertEquals(512, json.getAsJsonObject("calibration").get("samples").getAsInt());
    assertEquals("whitened", json.getAsJsonObject("settings").get("method").getAsString());
    JsonObject fc1 = json.getAsJsonArray("layers").get(0).getAsJsonObject().getAsJsonObject("data");
    assertEquals(
        fc1.get("optimalError").getAsDouble(), fc1.get("relativeError").getAsDouble(), 1e-4);
  }

  @Test
  void searchesBySmallestFidelityWithoutLabels() throws Exception {
    Path out = tmp.resolve("searched.pt");
    CliRun run =
        CliRun.of(
            "compress",
            "--model",
            model.toString(),
            "--out",
            out.toString(),
            "--min-fidelity",
            "0.99",
            "--data",
            "digits",
            "--no-labels",
            "--calibration",
            "digits",
            "--calibration-samples",
            "200");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("chosen ratio"), run.out());
    assertTrue(run.out().contains("cosine"), run.out());
    assertTrue(Files.isRegularFile(out));
  }

  @Test
  void inspectShowsTheRanksOfTheOutputEnergy() {
    CliRun run = CliRun.of("inspect", "--model", model.toString(), "--calibration", "digits");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("data@0.9"), run.out());
    assertTrue(run.out().contains("data@0.99"), run.out());
  }

  @Test
  void badCalibrationDataExitsTwoWithOneLineAndWritesNothing() throws Exception {
    Path nan = tmp.resolve("nan.csv");
    Files.writeString(nan, header(64) + row(64, "NaN") + "\n");
    Path narrow = tmp.resolve("narrow.csv");
    Files.writeString(narrow, header(63) + row(63, "0.5") + "\n");
    Path empty = tmp.resolve("empty.csv");
    Files.writeString(empty, header(64));
    String[][] cases = {
      {"--calibration", nan.toString()},
      {"--calibration", narrow.toString()},
      {"--calibration", empty.toString()},
      {"--calibration", tmp.resolve("missing.npz").toString()},
      {"--calibration", "digits", "--calibration-mask", "attention_mask"},
      {"--method", "whitened"},
      {"--sequential"},
      {"--calibration", "digits", "--calibration-samples", "0"},
    };
    for (String[] extra : cases) {
      Path out = tmp.resolve("never.pt");
      java.util.List<String> args =
          new java.util.ArrayList<>(
              java.util.List.of(
                  "compress", "--model", model.toString(), "--out", out.toString(), "--rank", "8"));
      args.addAll(java.util.List.of(extra));
      CliRun run = CliRun.of(args.toArray(String[]::new));
      assertEquals(2, run.exitCode(), String.join(" ", extra) + ": " + run.err());
      assertEquals(1, run.err().strip().lines().count(), run.err());
      assertFalse(Files.exists(out), "nothing written for " + String.join(" ", extra));
    }
  }

  private static String header(int columns) {
    StringBuilder sb = new StringBuilder();
    for (int j = 0; j < columns; j++) {
      sb.append(j == 0 ? "" : ",").append("p").append(j);
    }
    return sb.append('\n').toString();
  }

  private static String row(int columns, String first) {
    StringBuilder sb = new StringBuilder(first);
    for (int j = 1; j < columns; j++) {
      sb.append(",0.25");
    }
    return sb.toString();
  }
}
