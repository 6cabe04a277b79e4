package dev.lowrank.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one of the bench jar's reference scripts ({@code src/main/python}) under a Python
 * interpreter and returns what it printed, or why it could not run.
 */
final class PythonScript {

  private PythonScript() {}

  /**
   * What a run gave: standard output, or the reason there is none.
   *
   * @param stdout the script's standard output, when it exited with 0
   * @param failure why it did not, otherwise
   */
  record Outcome(java.util.Optional<String> stdout, java.util.Optional<String> failure) {}

  /**
   * Runs a script.
   *
   * @param python the interpreter, e.g. {@code /usr/bin/python3}
   * @param resource the script's name in the jar, e.g. {@code svd_reference.py}
   * @param args its arguments
   * @return its output or the reason it failed
   */
  static Outcome run(Path python, String resource, List<String> args) {
    if (!Files.isExecutable(python)) {
      return failed(python + " is not an executable file");
    }
    Path script = extract(resource);
    Path errors = script.resolveSibling(script.getFileName() + ".stderr");
    try {
      List<String> command = new ArrayList<>();
      command.add(python.toString());
      command.add(script.toString());
      command.addAll(args);
      Process process =
          new ProcessBuilder(command)
              .redirectError(ProcessBuilder.Redirect.to(errors.toFile()))
              .start();
      process.getOutputStream().close();
      String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int exit = process.waitFor();
      if (exit != 0) {
        String stderr = Files.readString(errors, StandardCharsets.UTF_8);
        String last = stderr.strip().lines().reduce((a, b) -> b).orElse("no message");
        return failed(python + " exited with " + exit + ": " + last);
      }
      return new Outcome(java.util.Optional.of(stdout), java.util.Optional.empty());
    } catch (IOException e) {
      return failed("cannot run " + python + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failed("interrupted while waiting for " + python);
    } finally {
      try {
        Files.deleteIfExists(script);
        Files.deleteIfExists(errors);
      } catch (IOException e) {
        // A leftover temporary file is harmless.
      }
    }
  }

  private static Outcome failed(String reason) {
    return new Outcome(java.util.Optional.empty(), java.util.Optional.of(reason));
  }

  private static Path extract(String resource) {
    try (InputStream in = PythonScript.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the bench jar");
      }
      Path script = Files.createTempFile("lowrank-" + resource.replace(".py", ""), ".py");
      Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
      return script;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + resource + " to a temporary file", e);
    }
  }
}
