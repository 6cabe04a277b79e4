package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.EngineException;
import dev.lowrank.format.ModelFileException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Exit codes and messages of failures: bad input 2, bugs 3, one bounded line, --verbose. */
class ErrorHandlerTest {

  @TempDir Path tmp;

  /** A command that fails the way {@code --with} says. */
  @Command(name = "fail")
  static final class FailingCommand implements Callable<Integer> {
    @Option(names = "--with")
    String with;

    @Override
    public Integer call() throws Exception {
      switch (with) {
        case "npe" -> throw new NullPointerException("Cannot invoke \"Object.toString()\"");
        case "state" -> throw new IllegalStateException("no model loaded");
        case "assertion" -> throw new AssertionError("Failed to list files: m");
        case "stack" -> throw new StackOverflowError();
        case "huge" ->
            throw new IllegalArgumentException(
                "data.csv: column 'p0': '" + "x".repeat(1_000_000) + "' is not a number");
        case "lines" -> throw new IllegalArgumentException("first\n\n  second\r\nthird");
        case "exists" -> throw new FileAlreadyExistsException("m.pt");
        case "javacpp" ->
            throw new UnsatisfiedLinkError(
                "java.io.IOException: Could not create the cache: Set the"
                    + " \"org.bytedeco.javacpp.cachedir\" system property.");
        case "djl" ->
            throw new ModelFileException(
                Path.of("m.pt"),
                "DJL cannot load the model (Failed to extract PyTorch native library)",
                new EngineException(
                    "Failed to extract PyTorch native library",
                    new AccessDeniedException("/tmp/ro/.djl.ai")));
        case "link" -> throw new UnsatisfiedLinkError("no torch in java.library.path");
        default -> throw new IllegalArgumentException("unknown failure " + with);
      }
    }
  }

  private static CliRun run(String... args) {
    CommandLine cli = Main.commandLine();
    cli.addSubcommand("fail", new FailingCommand());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"npe", "state", "assertion", "stack"})
  void bugsExitThreeWithOneLineAndTheHint(String kind) {
    CliRun run = run("fail", "--with", kind);
    assertEquals(ExitCodes.INTERNAL_ERROR, run.exitCode(), run.err());
    assertEquals(1, run.err().strip().lines().count(), run.err());
    assertTrue(run.err().startsWith("lowrank fail: internal error: "), run.err());
    assertTrue(run.err().contains("run again with --verbose"), run.err());
  }

  @Test
  void verboseAddsTheStackTraceWhereverItIsGiven() {
    for (String[] args :
        new String[][] {
          {"--verbose", "fail", "--with", "state"}, {"fail", "--with", "state", "--verbose"}
        }) {
      CliRun run = run(args);
      assertEquals(ExitCodes.INTERNAL_ERROR, run.exitCode());
      assertTrue(run.err().contains("\tat dev.lowrank.cli.ErrorHandlerTest$FailingCommand.call"));
      assertTrue(run.err().startsWith("lowrank fail: internal error: "), run.err());
    }
    CliRun error = run("--verbose", "fail", "--with", "assertion");
    assertEquals(ExitCodes.INTERNAL_ERROR, error.exitCode());
    assertTrue(error.err().contains("java.lang.AssertionError: Failed to list files"));
  }

  @Test
  void badInputExitsTwoWithTheReason() {
    CliRun exists = run("fail", "--with", "exists");
    assertEquals(ExitCodes.BAD_INPUT, exists.exitCode());
    assertEquals("lowrank fail: m.pt: a file is in the way\n", exists.err());
    CliRun lines = run("fail", "--with", "lines");
    assertEquals(ExitCodes.BAD_INPUT, lines.exitCode());
    assertEquals("lowrank fail: first second third\n", lines.err());
  }

  @Test
  void aMessageNeverEchoesUnboundedInput() {
    CliRun run = run("fail", "--with", "huge");
    assertEquals(ExitCodes.BAD_INPUT, run.exitCode());
    String line = run.err().strip();
    assertEquals(1, line.lines().count());
    assertTrue(line.length() < 300, line.length() + " characters");
    assertTrue(
        line.matches(
            "lowrank fail: data\\.csv: column 'p0': 'x{"
                + ErrorHandler.MAX_QUOTED
                + "}\\.\\.\\.' is not a number"),
        line);
    String unquoted = ErrorHandler.bounded("y".repeat(5_000_000));
    assertEquals(ErrorHandler.MAX_LINE, unquoted.length());
    assertTrue(unquoted.endsWith("..."));
    String apostrophes = "the model's weights: " + "a ".repeat(200) + "'x'";
    assertEquals(apostrophes.strip(), ErrorHandler.bounded(apostrophes));
  }

  @Test
  void aParseErrorIsBoundedToo() {
    CliRun run = run("inspect", "--model", "m", "--" + "z".repeat(100_000));
    assertEquals(ExitCodes.BAD_INPUT, run.exitCode());
    assertEquals(1, run.err().strip().lines().count());
    assertTrue(run.err().length() < 400, run.err().length() + " characters");
  }

  @Test
  void nativeLibrariesThatCannotLoadAreBadInputNamingTheDirectory() throws Exception {
    CliRun djl = run("fail", "--with", "djl");
    assertEquals(ExitCodes.BAD_INPUT, djl.exitCode(), djl.err());
    assertEquals(1, djl.err().strip().lines().count(), djl.err());
    assertTrue(djl.err().contains("PyTorch's native library"), djl.err());
    CliRun link = run("fail", "--with", "link");
    assertEquals(ExitCodes.BAD_INPUT, link.exitCode(), link.err());
    assertTrue(link.err().contains("cannot load a native library"), link.err());

    // As an unwritable home and temporary directory would: paths under a regular file, which
    // even root cannot create.
    Path file = Files.writeString(tmp.resolve("file"), "");
    String home = System.getProperty("user.home");
    String tmpdir = System.getProperty("java.io.tmpdir");
    try {
      System.setProperty("user.home", file.resolve("home").toString());
      System.setProperty("java.io.tmpdir", file.resolve("tmp").toString());
      CliRun javacpp = run("fail", "--with", "javacpp");
      assertEquals(ExitCodes.BAD_INPUT, javacpp.exitCode(), javacpp.err());
      assertEquals(1, javacpp.err().strip().lines().count(), javacpp.err());
      assertTrue(javacpp.err().contains(file.resolve("home/.javacpp/cache").toString()));
      assertTrue(javacpp.err().contains("java.io.tmpdir (" + file.resolve("tmp") + ")"));
      assertTrue(javacpp.err().contains("writable"), javacpp.err());
    } finally {
      System.setProperty("user.home", home);
      System.setProperty("java.io.tmpdir", tmpdir);
    }
    assertFalse(Files.exists(file.resolve("home")));
  }

  @Test
  void aDjlEngineThatCannotLoadNamesItsCacheDirectory() throws Exception {
    assumeTrue(
        System.getenv("DJL_CACHE_DIR") == null && System.getenv("ENGINE_CACHE_DIR") == null,
        "DJL_CACHE_DIR or ENGINE_CACHE_DIR is set, so DJL's cache is not under the home directory");
    Path file = Files.writeString(tmp.resolve("file"), "");
    String home = System.getProperty("user.home");
    String tmpdir = System.getProperty("java.io.tmpdir");
    try {
      System.setProperty("user.home", file.resolve("home").toString());
      System.setProperty("java.io.tmpdir", file.resolve("tmp").toString());
      CliRun djl = run("fail", "--with", "djl");
      assertEquals(ExitCodes.BAD_INPUT, djl.exitCode(), djl.err());
      assertEquals(1, djl.err().strip().lines().count(), djl.err());
      assertTrue(djl.err().contains(file.resolve("tmp/.djl.ai") + " ($DJL_CACHE_DIR"), djl.err());
      assertTrue(djl.err().contains("java.io.tmpdir (" + file.resolve("tmp") + ")"), djl.err());
    } finally {
      System.setProperty("user.home", home);
      System.setProperty("java.io.tmpdir", tmpdir);
    }
  }
}
