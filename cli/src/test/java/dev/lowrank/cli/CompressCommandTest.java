package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.ConvFormChoice;
import dev.lowrank.zoo.ExampleTrainer;
import dev.lowrank.zoo.Examples;
import dev.lowrank.zoo.TrainingPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CompressCommandTest {

  @TempDir static Path shared;
  @TempDir Path tmp;
  static Path model;

  @BeforeAll
  static void train() throws Exception {
    model =
        ExampleTrainer.trainOrLoad(
            Examples.djl("mlp-digits"), new TrainingPlan(3, 64, 1e-3f, 5), shared.resolve("cache"));
  }

  @Test
  void compressesAndWritesTheJsonReport() throws Exception {
    Path out = tmp.resolve("mlp-r16");
    Path report = tmp.resolve("r.json");
    CliRun run =
        CliRun.of(
            "compress",
            "--model",
            model.toString(),
            "--out",
            out.toString(),
            "--rank",
            "16",
            "--layer",
            "05Linear=dense",
            "--report",
            report.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("01Linear"), run.out());
    assertTrue(run.out().contains("parameters: 50,826 -> "), run.out());
    JsonObject json = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
    JsonObject params = json.getAsJsonObject("params");
    assertEquals(50_826, params.get("original").getAsLong());
    long expected = 50_826 - (256 * 64 - 16 * (256 + 64)) - (128 * 256 - 16 * (128 + 256));
    assertEquals(expected, params.get("compressed").getAsLong());
    assertEquals(3, json.getAsJsonArray("layers").size());
    assertEquals(
        "kept dense by rule 05Linear=dense",
        json.getAsJsonArray("layers").get(2).getAsJsonObject().get("reason").getAsString());
    assertTrue(Files.isRegularFile(out.resolve("lowrank-manifest.json")));
  }

  @ParameterizedTest
  @CsvSource({
    "--rank, 0, rank must be a positive integer",
    "--rank, -4, rank must be a positive integer",
    "--rank, 9999, exceeds min(n, m) of every linear layer",
    "--energy, 0, energy must be in (0, 1]",
    "--energy, 1.5, energy must be in (0, 1]",
    "--energy, NaN, energy must be in (0, 1]",
    "--ratio, 1, ratio must be in (0, 1)",
    "--ratio, -0.5, ratio must be in (0, 1)",
  })
  void badPolicyValuesExitTwoWithOneLine(String option, String value, String message) {
    Path out = tmp.resolve("out");
    CliRun run =
        CliRun.of("compress", "--model", model.toString(), "--out", out.toString(), option, value);
    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains(message), run.err());
    assertTrue(run.err().startsWith("lowrank compress: " + model), run.err());
    assertEquals(1, run.err().strip().lines().count(), run.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void badFilesAndUsageExitTwo() throws Exception {
    Path junk = tmp.resolve("junk.pt");
    Files.write(junk, new byte[] {1, 2, 3, 4});
    CliRun notAModel =
        CliRun.of(
            "compress",
            "--model",
            junk.toString(),
            "--out",
            tmp.resolve("o").toString(),
            "--rank",
            "4");
    assertEquals(2, notAModel.exitCode());
    assertTrue(notAModel.err().contains(junk + ": is not a zip archive"), notAModel.err());

    CliRun same =
        CliRun.of(
            "compress", "--model", model.toString(), "--out", model.toString(), "--rank", "4");
    assertEquals(2, same.exitCode());
    assertTrue(same.err().contains("the output is the input model"), same.err());

    CliRun missing = CliRun.of("compress", "--model", model.toString(), "--rank", "4");
    assertEquals(2, missing.exitCode());
    assertTrue(missing.err().contains("Missing required option: '--out=OUT'"), missing.err());

    CliRun twoPolicies =
        CliRun.of(
            "compress",
            "--model",
            model.toString(),
            "--out",
            "x",
            "--rank",
            "4",
            "--energy",
            "0.9");
    assertEquals(2, twoPolicies.exitCode());
    assertTrue(twoPolicies.err().contains("mutually exclusive"), twoPolicies.err());

    CliRun unknown = CliRun.of("squash");
    assertEquals(2, unknown.exitCode());
  }

  @Test
  void parsesOptionsWithoutRunning() {
    CompressCommand cmd = new CompressCommand();
    picocli.CommandLine cli = new picocli.CommandLine(cmd);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.parseArgs(
        "--model",
        "m.pt",
        "--out",
        "o.pt",
        "--energy",
        "0.9",
        "--scope",
        "global",
        "--layer",
        "fc3=dense",
        "--svd",
        "exact",
        "--seed",
        "7");
    var spec = cmd.policy.spec();
    assertEquals("energy 0.9", spec.policy().describe());
    assertEquals("global", spec.settings().get("scope"));
    assertEquals("fc3=dense", spec.settings().get("rules"));
    assertEquals("exact", spec.settings().get("svd"));
    assertEquals(7, spec.seed());
  }

  @Test
  void convOptionsParseIntoTheSpecWithoutRunning() {
    CompressCommand cmd = new CompressCommand();
    picocli.CommandLine cli = new picocli.CommandLine(cmd);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.parseArgs(
        "--model", "m.pt", "--out", "o.pt", "--ratio", "0.5", "--conv", "--conv-form", "spatial");
    CompressionSpec spec = cmd.conv.apply(cmd.policy.spec());
    assertTrue(spec.conv());
    assertEquals(ConvFormChoice.SPATIAL, spec.convForm());
    assertEquals("spatial", spec.settings().get("conv"));
    assertEquals("ratio 0.5", spec.policy().describe());

    CompressCommand plain = new CompressCommand();
    new picocli.CommandLine(plain)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .parseArgs("--model", "m.pt", "--out", "o.pt", "--rank", "4");
    CompressionSpec linearOnly = plain.conv.apply(plain.policy.spec());
    assertFalse(linearOnly.conv(), "without --conv the spec compresses linear layers only");
    assertFalse(linearOnly.settings().containsKey("conv"));
  }

  @Test
  void compressesTheConvolutionsOfATorchScriptCnn() throws Exception {
    Path cnn = tmp.resolve("cnn_scripted.pt");
    try (java.io.InputStream in =
        getClass().getResourceAsStream("/dev/lowrank/datasets/torchscript/cnn_scripted.pt")) {
      Files.copy(in, cnn);
    }
    Path out = tmp.resolve("cnn-r4.pt");
    CliRun run =
        CliRun.of(
            "compress",
            "--model",
            cnn.toString(),
            "--out",
            out.toString(),
            "--rank",
            "4",
            "--conv",
            "--conv-form",
            "channel");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("32x16x3x3 s1 p1"), run.out());
    assertTrue(run.out().contains("4 channel"), run.out());
    assertTrue(run.out().contains("4 of 4 layers (2 convolutions) factorized"), run.out());

    CliRun noConv =
        CliRun.of(
            "compress",
            "--model",
            cnn.toString(),
            "--out",
            tmp.resolve("x.pt").toString(),
            "--rank",
            "4",
            "--conv-form",
            "spatial");
    assertEquals(2, noConv.exitCode(), noConv.out());
    assertTrue(noConv.err().contains("--conv-form needs --conv"), noConv.err());
  }
}
