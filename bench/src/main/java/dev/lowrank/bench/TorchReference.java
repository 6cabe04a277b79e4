package dev.lowrank.bench;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.nio.file.Path;
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
    List<String> skip = new ArrayList<>();
    for (Shape shape : shapes) {
      if (!exactShapes.contains(shape)) {
        skip.add(shape.label());
      }
    }
    PythonScript.Outcome out =
        PythonScript.run(
            python,
            "svd_reference.py",
            List.of(
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
                String.join(",", skip)));
    if (out.stdout().isEmpty()) {
      return Outcome.unavailable(out.failure().orElseThrow());
    }
    return new Outcome(Optional.of(parse(out.stdout().get(), shapes)), Optional.empty());
  }

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
