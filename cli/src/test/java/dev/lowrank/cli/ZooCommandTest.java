package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.lowrank.zoo.ExampleTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ZooCommandTest {

  @TempDir Path tmp;

  @Test
  void listShowsEveryExample() {
    CliRun run = CliRun.of("zoo", "list");
    assertEquals(0, run.exitCode(), run.err());
    for (String name :
        new String[] {
          "mlp-digits",
          "cnn-digits",
          "transformer-digits",
          "mlp-mnist",
          "mlp-fashion",
          "torchscript-cnn-traced",
          "minilm"
        }) {
      assertTrue(run.out().contains(name), name + " in " + run.out());
    }
    assertTrue(run.out().contains("98.33%"), "the shipped CNN's accuracy: " + run.out());
    assertTrue(run.out().contains("22,565,376"), "all-MiniLM-L6-v2's parameters: " + run.out());
  }

  @Test
  void runCompressesAndEvaluatesAShippedModel() throws Exception {
    Path json = tmp.resolve("r.json");
    CliRun run =
        CliRun.of(
            "zoo",
            "run",
            "torchscript-mlp-scripted",
            "--rank",
            "16",
            "--no-latency",
            "--report",
            json.toString());
    assertEquals(0, run.exitCode(), run.err());
    var report = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    assertEquals(17_226, report.getAsJsonObject("params").get("original").getAsLong());
    assertEquals(6_986, report.getAsJsonObject("params").get("compressed").getAsLong());
    assertTrue(run.out().contains("top-1 accuracy"), run.out());
  }

  @Test
  void badNamesAndSettingsExitTwo() {
    CliRun unknown = CliRun.of("zoo", "run", "resnet-9000");
    assertEquals(2, unknown.exitCode());
    assertTrue(unknown.err().contains("the examples are: mlp-digits"), unknown.err());
    CliRun bad = CliRun.of("zoo", "run", "torchscript-mlp-scripted", "--energy", "2");
    assertEquals(2, bad.exitCode());
    assertTrue(bad.err().contains("--energy"), bad.err());
    CliRun twoSettings =
        CliRun.of("zoo", "run", "torchscript-mlp-scripted", "--rank", "4", "--energy", "0.9");
    assertEquals(2, twoSettings.exitCode());
  }

  @Test
  void outputsAreCheckedBeforeTraining() throws Exception {
    Path cache = ExampleTrainer.cacheRoot().toAbsolutePath();
    Path inCache = cache.resolve("zoo-report.json");
    CliRun intoCache = CliRun.of("zoo", "run", "mlp-digits", "--report", inCache.toString());
    assertEquals(2, intoCache.exitCode(), intoCache.err());
    assertEquals(
        "lowrank zoo run: --report "
            + inCache
            + " lies inside the zoo cache "
            + ExampleTrainer.cacheRoot()
            + "; choose another path\n",
        intoCache.err());
    assertFalse(Files.exists(inCache));

    Path file = Files.writeString(tmp.resolve("kept"), "");
    CliRun outIsAFile = CliRun.of("zoo", "run", "mlp-digits", "--out", file.toString());
    assertEquals(2, outIsAFile.exitCode());
    assertEquals(
        "lowrank zoo run: --out " + file + ": exists and is not a directory\n", outIsAFile.err());

    Path r = tmp.resolve("r.json");
    CliRun twice =
        CliRun.of(
            "zoo",
            "run",
            "mlp-digits",
            "--report",
            r.toString(),
            "--report",
            tmp.resolve("x/../r.json").toString());
    assertEquals(2, twice.exitCode());
    assertTrue(twice.err().contains("is the same file as --report " + r), twice.err());

    Path table = Files.writeString(Files.createDirectories(cache).resolve("table.md"), "x");
    try {
      CliRun write = CliRun.of("zoo", "table", "--write", table.toString());
      assertEquals(2, write.exitCode());
      assertTrue(write.err().contains("lies inside the zoo cache"), write.err());
    } finally {
      Files.delete(table);
    }
  }

  @Test
  void runKeepsTheCompressedModelAndItsReportInOut() throws Exception {
    Path kept = tmp.resolve("kept");
    Path json = kept.resolve("r.json");
    CliRun run =
        CliRun.of(
            "zoo",
            "run",
            "torchscript-mlp-scripted",
            "--rank",
            "8",
            "--no-latency",
            "--out",
            kept.toString(),
            "--report",
            json.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(Files.isRegularFile(json));
    try (var entries = Files.list(kept)) {
      assertEquals(2, entries.count(), "the model and the report");
    }
  }

  @Test
  void parsesTableOptionsWithoutRunning() {
    ZooTableCommand table = new ZooTableCommand();
    new CommandLine(table).parseArgs("--examples", "mlp-digits,cnn-digits", "--write", "x.md");
    assertEquals(java.util.List.of("mlp-digits", "cnn-digits"), table.names);
    assertEquals(Path.of("x.md"), table.write);
  }
}
