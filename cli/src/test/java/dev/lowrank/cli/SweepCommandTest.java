package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep's outputs are checked before it compresses anything. */
class SweepCommandTest {

  @TempDir Path tmp;

  @Test
  void aReportThatIsTheModelIsRefusedBeforeAnyWork() throws Exception {
    Path m = tmp.resolve("m.pt");
    try (InputStream in =
        SweepCommandTest.class.getResourceAsStream(
            "/dev/lowrank/datasets/torchscript/mlp_scripted.pt")) {
      Files.copy(in, m);
    }
    byte[] bytes = Files.readAllBytes(m);
    Path alias = Files.createSymbolicLink(tmp.resolve("sweep.json"), m);
    CliRun run =
        CliRun.of(
            "sweep",
            "--model",
            m.toString(),
            "--data",
            "digits",
            "--ranks",
            "4,8",
            "--report",
            alias.toString());
    assertEquals(2, run.exitCode(), run.err());
    assertEquals(
        "lowrank sweep: --report "
            + alias
            + " is the same file as --model "
            + m
            + "; choose another path\n",
        run.err());
    assertEquals("", run.out());
    assertArrayEquals(bytes, Files.readAllBytes(m));
    assertTrue(Files.isSymbolicLink(alias));
  }

  @Test
  void theSinglePolicyOptionsAreUnknownToSweep() {
    CliRun run = CliRun.of("sweep", "--model", "m.pt", "--ranks", "4", "--rank", "8");
    assertEquals(2, run.exitCode());
    assertTrue(run.err().startsWith("lowrank sweep: Unknown options: '--rank'"), run.err());
  }
}
