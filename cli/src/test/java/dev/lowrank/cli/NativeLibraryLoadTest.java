package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native libraries cannot be extracted: lowrank runs in a fresh JVM whose home and temporary
 * directory lie under a regular file, so no one (not even root) can create them, as for an
 * unwritable {@code HOME} and {@code java.io.tmpdir}. It exits 2 with one line naming the
 * directories, not with a stack trace and exit code 1.
 */
class NativeLibraryLoadTest {

  @TempDir Path tmp;
  Path model;
  Path blocked;

  @BeforeEach
  void setUp() throws IOException {
    model = tmp.resolve("m.pt");
    try (InputStream in =
        NativeLibraryLoadTest.class.getResourceAsStream(
            "/dev/lowrank/datasets/torchscript/mlp_scripted.pt")) {
      Files.copy(in, model);
    }
    blocked = Files.writeString(tmp.resolve("not-a-directory"), "");
  }

  private record Result(int exitCode, String stderr) {}

  private Result lowrank(List<String> properties, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Duser.home=" + blocked.resolve("home"));
    cmd.add("-Djava.io.tmpdir=" + blocked.resolve("tmp"));
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=error");
    cmd.addAll(properties);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
    pb.environment().remove("DJL_CACHE_DIR");
    pb.environment().remove("ENGINE_CACHE_DIR");
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Path err = tmp.resolve("stderr");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "lowrank did not finish");
    return new Result(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
  }

  private static String lowrankLine(String stderr) {
    List<String> lines = stderr.lines().filter(l -> l.startsWith("lowrank ")).toList();
    assertEquals(1, lines.size(), stderr);
    assertFalse(stderr.contains("\tat "), "no stack trace: " + stderr);
    return lines.get(0);
  }

  @Test
  void openBlasThatCannotBeExtractedIsBadInputNamingTheDirectories() throws Exception {
    Result r =
        lowrank(
            List.of(),
            "compress",
            "--model",
            model.toString(),
            "--rank",
            "4",
            "--out",
            tmp.resolve("m4.pt").toString());
    assertEquals(ExitCodes.BAD_INPUT, r.exitCode(), r.stderr());
    String line = lowrankLine(r.stderr());
    assertTrue(line.startsWith("lowrank compress: cannot load the native OpenBLAS library"), line);
    assertTrue(line.contains(blocked.resolve("home/.javacpp/cache").toString()), line);
    assertTrue(line.contains("java.io.tmpdir (" + blocked.resolve("tmp") + ")"), line);
    assertFalse(Files.exists(tmp.resolve("m4.pt")));

    Result inspect = lowrank(List.of(), "inspect", "--model", model.toString());
    assertEquals(ExitCodes.BAD_INPUT, inspect.exitCode(), inspect.stderr());
    assertTrue(
        lowrankLine(inspect.stderr()).contains("JavaCPP extracts it into a cache directory"),
        inspect.stderr());
  }

  @Test
  void libtorchThatCannotBeExtractedIsBadInputNamingTheDirectory() throws Exception {
    // OpenBLAS from JavaCPP's usual cache, so that DJL's extraction is what fails.
    Path javacpp = Path.of(System.getProperty("user.home"), ".javacpp", "cache");
    Result r =
        lowrank(
            List.of("-Dorg.bytedeco.javacpp.cachedir=" + javacpp),
            "eval",
            "--model",
            model.toString(),
            "--compressed",
            model.toString(),
            "--data",
            "digits",
            "--no-latency");
    assertEquals(ExitCodes.BAD_INPUT, r.exitCode(), r.stderr());
    String line = lowrankLine(r.stderr());
    assertTrue(line.startsWith("lowrank eval: cannot load PyTorch's native library"), line);
    assertTrue(line.contains(blocked.resolve("tmp/.djl.ai").toString()), line);
    assertTrue(line.contains("DJL_CACHE_DIR"), line);
  }
}
