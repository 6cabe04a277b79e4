package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
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
          "torchscript-cnn-traced"
        }) {
      assertTrue(run.out().contains(name), name + " in " + run.out());
    }
    assertTrue(run.out().contains("98.33%"), "the shipped CNN's accuracy: " + run.out());
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
  void parsesTableOptionsWithoutRunning() {
    ZooCommand.TableCommand table = new ZooCommand.TableCommand();
    new CommandLine(table).parseArgs("--examples", "mlp-digits,cnn-digits", "--write", "x.md");
    assertEquals(java.util.List.of("mlp-digits", "cnn-digits"), table.names);
    assertEquals(Path.of("x.md"), table.write);
  }
}
