package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.zoo.ExampleTrainer;
import dev.lowrank.zoo.Examples;
import dev.lowrank.zoo.TrainingPlan;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectAndDemoTest {

  @TempDir Path tmp;

  @Test
  void inspectListsEveryLinearLayerWithEnergyRanks() throws Exception {
    Path model =
        ExampleTrainer.trainOrLoad(
            Examples.djl("mlp-digits"), new TrainingPlan(2, 64, 1e-3f, 5), tmp.resolve("cache"));
    CliRun run = CliRun.of("inspect", "--model", model.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(
        run.out().contains("(djl): 50,826 parameters, 50,826 in 3 linear layers"), run.out());
    assertTrue(
        run.out().matches("(?s).*01Linear\\s+256x64\\s+16640\\s+\\d+\\s+\\d+\\s+51.*"), run.out());
  }

  @Test
  void inspectShowsTheManifestOfACompressedModel() throws Exception {
    Path model =
        ExampleTrainer.trainOrLoad(
            Examples.djl("mlp-digits"), new TrainingPlan(2, 64, 1e-3f, 5), tmp.resolve("cache"));
    Path out = tmp.resolve("r8");
    assertEquals(
        0,
        CliRun.of("compress", "--model", model.toString(), "--out", out.toString(), "--rank", "8")
            .exitCode());
    CliRun run = CliRun.of("inspect", "--model", out.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("compressed by lowrank"), run.out());
    assertTrue(run.out().contains("policy=rank 8"), run.out());
    assertTrue(run.out().contains("factorized, rank 8"), run.out());
  }

  @Test
  void helpAndVersionExitZero() {
    CliRun help = CliRun.of("--help");
    assertEquals(0, help.exitCode());
    assertTrue(help.out().contains("compress"));
    CliRun version = CliRun.of("--version");
    assertEquals(0, version.exitCode());
    assertTrue(version.out().startsWith("lowrank "));
  }
}
