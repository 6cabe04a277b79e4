package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCommandTest {

  @Test
  void parsesWithoutRunning() {
    BenchCommand cmd = new BenchCommand();
    new CommandLine(cmd).parseArgs("--forward", "--json", "--quick", "--python", "/opt/py");
    assertTrue(cmd.forward);
    assertTrue(cmd.json);
    assertTrue(cmd.quick);
    assertEquals(Path.of("/opt/py"), cmd.python);
    BenchCommand defaults = new BenchCommand();
    new CommandLine(defaults).parseArgs();
    assertEquals(Path.of("/usr/bin/python3"), defaults.python);
  }

  @Test
  void unknownOptionsExitTwo() {
    assertEquals(2, CliRun.of("bench", "--fast").exitCode());
  }
}
