package dev.lowrank.bench;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * PyTorch's figures for the same kind of matrices, from {@code svd_reference.py} (shipped in this
 * jar) run by a Python that has torch.
 *
 * @param torchVersion {@code torch.__version__}
 * @param threads the threads torch ran with
 * @param shapes one row per shape
 */
public record TorchReference(String torchVersion, int threads, List<Row> shapes) {

  /**
   * PyTorch's times and error for one shape.
   *
   * @param shape the shape
   * @param exactSeconds median of {@code torch.linalg.svd}, if timed
   * @param lowrankSeconds median of {@code torch.svd_lowrank(q=rank+10, niter=2)}
   * @param lowrankErrorRatio its rank-r Frobenius error over the Eckart-Young optimum
   */
  public record Row(
      Shape shape, OptionalDouble exactSeconds, double lowrankSeconds, double lowrankErrorRatio) {}

  /**
   * Finds the row of a shape.
   *
   * @param shape rows and columns to look for
   * @return the row
   * @throws IllegalArgumentException if the reference did not measure that shape
   */
  public Row row(Shape shape) {
    return shapes.stream()
        .filter(r -> r.shape().rows() == shape.rows() && r.shape().cols() == shape.cols())
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no torch figures for " + shape.label()));
  }

  /**
   * Runs the reference script.
   *
   * @param python the interpreter, e.g. {@code /usr/bin/python3}
   * @param shapes the shapes to measure
   * @param exactShapes those of them whose exact SVD is timed too
   * @param rank the rank
   * @param threads the threads torch and its BLAS may use
   * @param runs timed runs of the randomized SVD
   * @param exactRuns timed runs of the exact SVD
   * @return the figures, or empty with the reason when this Python cannot run torch
   */
  static Outcome run(
      Path python,
      List<Shape> shapes,
      List<Shape> exactShapes,
      int rank,
      int threads,
      int runs,
      int exactRuns) {
    if (!Files.isExecutable(python)) {
      return Outcome.unavailable(python + " is not an executable file");
    }
    Path script = extractScript();
    Path errors = script.resolveSibling(script.getFileName() + ".stderr");
    try {
      List<String> skip = new ArrayList<>();
      for (Shape shape : shapes) {
        if (!exactShapes.contains(shape)) {
          skip.add(shape.label());
        }
      }
      List<String> command =
          List.of(
              python.toString(),
              script.toString(),
              "--shapes",
              shapes.stream().map(Shape::label).collect(Collectors.joining(",")),
              "--rank",
              Integer.toString(rank),
              "--threads",
              Integer.toString(threads),
              "--runs",
              Integer.toString(runs),
              "--exact-runs",
              Integer.toString(exactRuns),
              "--skip-exact",
              String.join(",", skip));
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
        return Outcome.unavailable(python + " exited with " + exit + ": " + last);
      }
      return new Outcome(Optional.of(parse(stdout, shapes)), Optional.empty());
    } catch (IOException e) {
      return Outcome.unavailable("cannot run " + python + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Outcome.unavailable("interrupted while waiting for " + python);
    } finally {
      try {
        Files.deleteIfExists(script);
        Files.deleteIfExists(errors);
      } catch (IOException e) {
        // A leftover temporary file is harmless.
      }
    }
  }

  /** Parses the script's JSON output. */
  static TorchReference parse(String json, List<Shape> shapes) {
    try {
      JsonObject root = JsonParser.parseString(json.strip()).getAsJsonObject();
      require(root, "torch", "threads", "svd");
      List<Row> rows = new ArrayList<>();
      for (JsonElement element : root.getAsJsonArray("svd")) {
        JsonObject row = element.getAsJsonObject();
        require(row, "shape", "lowrank_s", "err_lowrank");
        int r = row.getAsJsonArray("shape").get(0).getAsInt();
        int c = row.getAsJsonArray("shape").get(1).getAsInt();
        Shape shape =
            shapes.stream()
                .filter(s -> s.rows() == r && s.cols() == c)
                .findFirst()
                .orElse(new Shape(r, c, 1));
        rows.add(
            new Row(
                shape,
                row.has("exact_s")
                    ? OptionalDouble.of(row.get("exact_s").getAsDouble())
                    : OptionalDouble.empty(),
                row.get("lowrank_s").getAsDouble(),
                row.get("err_lowrank").getAsDouble()));
      }
      return new TorchReference(
          root.get("torch").getAsString(), root.get("threads").getAsInt(), List.copyOf(rows));
    } catch (JsonParseException | IllegalStateException | IndexOutOfBoundsException e) {
      throw new IllegalStateException("svd_reference.py printed unexpected output: " + json, e);
    }
  }

  private static void require(JsonObject object, String... members) {
    for (String member : members) {
      if (!object.has(member)) {
        throw new IllegalStateException("no '" + member + "' in " + object);
      }
    }
  }

  private static Path extractScript() {
    try (InputStream in = TorchReference.class.getResourceAsStream("svd_reference.py")) {
      if (in == null) {
        throw new IllegalStateException("svd_reference.py is missing from the bench jar");
      }
      Path script = Files.createTempFile("lowrank-svd-reference", ".py");
      Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
      return script;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the reference script to a temporary file", e);
    }
  }

  /**
   * The figures, or why there are none.
   *
   * @param reference the figures when torch ran
   * @param unavailable the reason when it did not
   */
  record Outcome(Optional<TorchReference> reference, Optional<String> unavailable) {
    static Outcome unavailable(String reason) {
      return new Outcome(Optional.empty(), Optional.of(reason));
    }
  }
}
