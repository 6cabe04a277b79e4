package dev.lowrank.bench;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.io.OutputFiles;
import dev.lowrank.runtime.LowRankLinear;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How much faster the low-rank forward is, through DJL, next to NumPy measured in the same run: the
 * lecture's layer (n = 4096, r = 10) as a DJL {@link LowRankLinear} and as a compressed TorchScript
 * file, at batch 1 and 64, against NumPy's dense {@code a @ x} and {@code u @ (v.T @ x)}; and,
 * across shapes at least 1024 wide, the speedup against the FLOP ratio {@code n m / (r (n + m))}.
 * Dense and low-rank calls are timed interleaved, through a DJL {@code Predictor}, as a service
 * runs them.
 */
public final class ForwardReport {

  private ForwardReport() {}

  /**
   * A layer shape: {@code W} is n x m, the factors have rank r.
   *
   * @param n outputs
   * @param m inputs
   * @param rank the rank
   */
  public record LayerShape(int n, int m, int rank) {
    /**
     * Returns {@code n m / (r (n + m))}, the ideal speedup.
     *
     * @return the FLOP ratio
     */
    public double flopRatio() {
      return (double) n * m / ((double) rank * (n + m));
    }

    String label() {
      return n + "x" + m + " r" + rank;
    }
  }

  /**
   * Medians of one comparison.
   *
   * @param shape the layer
   * @param batch the batch size
   * @param denseMicros median dense call
   * @param lowRankMicros median low-rank call
   */
  public record Timing(LayerShape shape, int batch, double denseMicros, double lowRankMicros) {
    /**
     * Returns the speedup.
     *
     * @return dense / low-rank
     */
    public double speedup() {
      return denseMicros / lowRankMicros;
    }
  }

  /**
   * A target and how it came out.
   *
   * @param name a stable key
   * @param description what is compared
   * @param value the measured ratio
   * @param target the smallest passing value
   */
  public record Check(String name, String description, double value, double target) {
    /**
     * Returns whether the target is met.
     *
     * @return {@code value >= target}
     */
    public boolean met() {
      return value >= target;
    }
  }

  /**
   * The whole report.
   *
   * @param djl the DJL layer timings (the lecture's shape first)
   * @param torchScript the compressed TorchScript layer's timings, when torch could write it
   * @param numpy NumPy's figures (JSON from forward_reference.py), when it ran
   * @param unavailable why the Python parts did not run, when they did not
   * @param threads DJL's intra-op threads
   * @param checks the targets
   */
  public record Result(
      List<Timing> djl,
      List<Timing> torchScript,
      Optional<JsonObject> numpy,
      List<String> unavailable,
      int threads,
      List<Check> checks) {}

  /** The lecture's layer. */
  public static final LayerShape LECTURE = new LayerShape(4096, 4096, 10);

  /** The other shapes, all at least 1024 wide. */
  public static final List<LayerShape> SHAPES =
      List.of(
          new LayerShape(1024, 1024, 64),
          new LayerShape(2048, 2048, 128),
          new LayerShape(1024, 4096, 128),
          new LayerShape(4096, 1024, 128));

  /**
   * Measures.
   *
   * @param python the interpreter for NumPy and torch, or empty to skip them
   * @param quick fewer repetitions (a smoke run, not for figures)
   * @return the report
   * @throws IOException if a temporary file cannot be written
   */
  public static Result run(Optional<Path> python, boolean quick) throws IOException {
    int rounds = quick ? 2 : 10;
    List<String> unavailable = new ArrayList<>();
    Optional<JsonObject> numpy = Optional.empty();
    if (python.isPresent()) {
      PythonScript.Outcome out =
          PythonScript.run(
              python.get(), "forward_reference.py", List.of("--runs", quick ? "20" : "300"));
      if (out.stdout().isPresent()) {
        numpy = Optional.of(JsonParser.parseString(out.stdout().get()).getAsJsonObject());
      } else {
        unavailable.add("NumPy reference: " + out.failure().orElseThrow());
      }
    } else {
      unavailable.add("NumPy reference: no Python interpreter given");
    }
    List<Timing> djl = new ArrayList<>();
    List<LayerShape> shapes = new ArrayList<>();
    shapes.add(LECTURE);
    shapes.addAll(SHAPES);
    for (LayerShape shape : shapes) {
      for (int batch : new int[] {1, 64}) {
        djl.add(timeDjl(shape, batch, rounds));
      }
    }
    List<Timing> torchScript = new ArrayList<>();
    if (python.isPresent()) {
      Path dir = Files.createTempDirectory("lowrank-forward");
      try {
        Path dense = dir.resolve("lecture.pt");
        PythonScript.Outcome written =
            PythonScript.run(
                python.get(), "forward_reference.py", List.of("--write-model", dense.toString()));
        if (written.failure().isPresent()) {
          unavailable.add("TorchScript layer: " + written.failure().get());
        } else {
          Path low = dir.resolve("lecture-r" + LECTURE.rank() + ".pt");
          Compressor.compress(
              dense,
              low,
              CompressionSpec.builder().setPolicy(RankPolicy.rank(LECTURE.rank())).build());
          for (int batch : new int[] {1, 64}) {
            torchScript.add(timeFiles(dense, low, batch, rounds));
          }
        }
      } catch (dev.lowrank.io.InputFileException e) {
        unavailable.add("TorchScript layer: " + e.getMessage());
      } finally {
        OutputFiles.deleteRecursively(dir);
      }
    }
    int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
    return new Result(
        djl, torchScript, numpy, unavailable, threads, checks(djl, torchScript, numpy));
  }

  private static List<Check> checks(
      List<Timing> djl, List<Timing> torchScript, Optional<JsonObject> numpy) {
    List<Check> checks = new ArrayList<>();
    for (int batch : new int[] {1, 64}) {
      Timing ours = find(djl, LECTURE, batch);
      if (numpy.isPresent()) {
        for (String dtype : new String[] {"float64", "float32"}) {
          double ref =
              numpy.get().getAsJsonObject(dtype + "_batch" + batch).get("speedup").getAsDouble();
          checks.add(
              new Check(
                  "djl_layer_vs_numpy_" + dtype + "_b" + batch,
                  "lecture, batch " + batch + ": DJL LowRankLinear / NumPy " + dtype,
                  ours.speedup() / ref,
                  1.0));
          for (Timing t : torchScript) {
            if (t.batch() == batch) {
              checks.add(
                  new Check(
                      "torchscript_vs_numpy_" + dtype + "_b" + batch,
                      "lecture, batch " + batch + ": compressed TorchScript / NumPy " + dtype,
                      t.speedup() / ref,
                      1.0));
            }
          }
        }
      }
    }
    for (Timing t : djl) {
      if (Math.min(t.shape().n(), t.shape().m()) >= 1024) {
        checks.add(
            new Check(
                "flop_" + t.shape().label().replace(' ', '_') + "_b" + t.batch(),
                t.shape().label() + ", batch " + t.batch() + ": speedup / (0.8 x FLOP ratio)",
                t.speedup() / (0.8 * t.shape().flopRatio()),
                1.0));
      }
    }
    return List.copyOf(checks);
  }

  private static Timing find(List<Timing> timings, LayerShape shape, int batch) {
    return timings.stream()
        .filter(t -> t.shape().equals(shape) && t.batch() == batch)
        .findFirst()
        .orElseThrow();
  }

  private static Timing timeDjl(LayerShape shape, int batch, int rounds) {
    try (Model dense = Model.newInstance("dense", "PyTorch");
        Model low = Model.newInstance("lowrank", "PyTorch")) {
      NDManager dm = dense.getNDManager();
      Linear linear = Linear.builder().setUnits(shape.n()).build();
      linear.initialize(dm, DataType.FLOAT32, new Shape(batch, shape.m()));
      dense.setBlock(linear);
      NDManager lm = low.getNDManager();
      Block lowRank =
          LowRankLinear.lowRankBuilder()
              .setUnits(shape.n())
              .setRank(shape.rank())
              .optValues(
                  lm.randomNormal(new Shape(shape.rank(), shape.m())),
                  lm.randomNormal(new Shape(shape.n(), shape.rank())),
                  lm.randomNormal(new Shape(shape.n())),
                  new Shape(batch, shape.m()))
              .build();
      low.setBlock(lowRank);
      try (Predictor<NDList, NDList> a = dense.newPredictor(new NoopTranslator());
          Predictor<NDList, NDList> b = low.newPredictor(new NoopTranslator());
          NDManager inputs = NDManager.newBaseManager("PyTorch")) {
        NDArray x = inputs.randomNormal(new Shape(batch, shape.m()));
        return interleave(shape, batch, rounds, a, b, x);
      }
    }
  }

  private static Timing timeFiles(Path dense, Path low, int batch, int rounds) throws IOException {
    try (ZooModel<NDList, NDList> a = load(dense);
        ZooModel<NDList, NDList> b = load(low);
        Predictor<NDList, NDList> pa = a.newPredictor();
        Predictor<NDList, NDList> pb = b.newPredictor();
        NDManager inputs = NDManager.newBaseManager("PyTorch")) {
      NDArray x = inputs.randomNormal(new Shape(batch, LECTURE.m()));
      return interleave(LECTURE, batch, rounds, pa, pb, x);
    }
  }

  private static ZooModel<NDList, NDList> load(Path file) throws IOException {
    try {
      return Criteria.builder()
          .setTypes(NDList.class, NDList.class)
          .optModelPath(file)
          .optEngine("PyTorch")
          .optTranslator(new NoopTranslator())
          .build()
          .loadModel();
    } catch (ai.djl.MalformedModelException | ai.djl.repository.zoo.ModelNotFoundException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Times {@code a} and {@code b} in alternating rounds, each round long enough to hold about 20 ms
   * of the slower call, and returns both medians.
   */
  private static Timing interleave(
      LayerShape shape,
      int batch,
      int rounds,
      Predictor<NDList, NDList> a,
      Predictor<NDList, NDList> b,
      NDArray x) {
    long oneA = call(a, x);
    long oneB = call(b, x);
    for (int i = 0; i < 20; i++) {
      oneA = Math.min(oneA, call(a, x));
      oneB = Math.min(oneB, call(b, x));
    }
    int perRoundA = (int) Math.max(5, Math.min(2000, 20_000_000L / Math.max(1, oneA)));
    int perRoundB = (int) Math.max(5, Math.min(2000, 20_000_000L / Math.max(1, oneB)));
    long[] ta = new long[perRoundA * rounds];
    long[] tb = new long[perRoundB * rounds];
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < perRoundA; i++) {
        ta[round * perRoundA + i] = call(a, x);
      }
      for (int i = 0; i < perRoundB; i++) {
        tb[round * perRoundB + i] = call(b, x);
      }
    }
    return new Timing(shape, batch, median(ta) / 1e3, median(tb) / 1e3);
  }

  private static long call(Predictor<NDList, NDList> p, NDArray x) {
    long start = System.nanoTime();
    try {
      p.predict(new NDList(x)).close();
    } catch (TranslateException e) {
      throw new IllegalStateException("The benchmark layer failed: " + e.getMessage(), e);
    }
    return System.nanoTime() - start;
  }

  private static double median(long[] values) {
    long[] v = values.clone();
    Arrays.sort(v);
    return v[v.length / 2];
  }

  /**
   * Renders the report as a table.
   *
   * @param r the report
   * @return the text
   */
  public static String table(Result r) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "Low-rank forward through DJL (PyTorch engine, %d intra-op threads), median per call%n%n",
            r.threads()));
    sb.append(
        String.format(
            Locale.ROOT,
            "%-26s %5s %12s %12s %9s %9s %9s%n",
            "layer",
            "batch",
            "dense us",
            "low-rank us",
            "speedup",
            "FLOP",
            "0.8xFLOP"));
    for (Timing t : r.djl()) {
      sb.append(row("DJL " + t.shape().label(), t));
    }
    for (Timing t : r.torchScript()) {
      sb.append(row("TorchScript " + t.shape().label(), t));
    }
    r.numpy()
        .ifPresent(
            n -> {
              sb.append(
                  String.format(
                      Locale.ROOT,
                      "%nNumPy %s, same run (n = %d, r = %d):%n",
                      n.get("numpy").getAsString(),
                      n.get("n").getAsInt(),
                      n.get("rank").getAsInt()));
              for (String dtype : new String[] {"float64", "float32"}) {
                for (int batch : new int[] {1, 64}) {
                  JsonObject o = n.getAsJsonObject(dtype + "_batch" + batch);
                  sb.append(
                      String.format(
                          Locale.ROOT,
                          "  %s batch %-3d dense %10.1f us  low-rank %8.1f us  speedup %6.1fx%n",
                          dtype,
                          batch,
                          1e6 * o.get("dense_s").getAsDouble(),
                          1e6 * o.get("lowrank_s").getAsDouble(),
                          o.get("speedup").getAsDouble()));
                }
              }
            });
    sb.append(System.lineSeparator());
    for (Check c : r.checks()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%-60s %7.3f >= %.1f  %s%n",
              c.description(),
              c.value(),
              c.target(),
              c.met() ? "met" : "MISSED"));
    }
    for (String u : r.unavailable()) {
      sb.append("not measured: ").append(u).append(System.lineSeparator());
    }
    return sb.toString();
  }

  private static String row(String label, Timing t) {
    return String.format(
        Locale.ROOT,
        "%-26s %5d %12.1f %12.1f %8.1fx %8.1fx %8.1fx%n",
        label,
        t.batch(),
        t.denseMicros(),
        t.lowRankMicros(),
        t.speedup(),
        t.shape().flopRatio(),
        0.8 * t.shape().flopRatio());
  }

  /**
   * Renders the report as JSON.
   *
   * @param r the report
   * @return pretty-printed JSON
   */
  public static String json(Result r) {
    Gson gson = new GsonBuilder().setPrettyPrinting().create();
    JsonObject root = new JsonObject();
    root.addProperty("threads", r.threads());
    root.add("djl", gson.toJsonTree(r.djl()));
    root.add("torchScript", gson.toJsonTree(r.torchScript()));
    r.numpy().ifPresent(n -> root.add("numpy", n));
    root.add("checks", gson.toJsonTree(r.checks()));
    root.add("unavailable", gson.toJsonTree(r.unavailable()));
    return gson.toJson(root);
  }
}
