package dev.lowrank.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.DataFit;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.compress.LayerSummary;
import dev.lowrank.compress.ModelSummary;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.TruncationMethod;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.Datasets;
import dev.lowrank.data.Tensor;
import dev.lowrank.io.InputFileException;
import dev.lowrank.io.OutputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The calibration benchmark: calibration plus whitened compression of a BERT-base-shaped encoder
 * (12 blocks of query, key, value and output 768x768, 3072x768 and 768x3072 linear layers; a
 * TorchScript file written by {@code bert_calibration.py make}) at rank 128 on 4096 calibration
 * tokens, next to the same steps in PyTorch ({@code bert_calibration.py reference}: hooks summing
 * {@code X^T X}, Cholesky, {@code svd_lowrank} of {@code W C}) run in the same command, and next to
 * lowrank's own plain compression of the model. Targets: at most 1.5x PyTorch and at most 3x plain;
 * every factorized layer within 1.01x of its data-weighted optimum (from the exact singular values
 * of {@code W C}, computed after the timed runs).
 */
public final class CalibrationReport {

  /** The rank of the benchmark. */
  public static final int RANK = 128;

  /** The target of calibration plus whitened compression over PyTorch's. */
  public static final double TORCH_TARGET = 1.5;

  /** The target of calibration plus whitened compression over lowrank's plain compression. */
  public static final double PLAIN_TARGET = 3.0;

  /** The target of each layer's data-weighted error over its optimum. */
  public static final double OPTIMUM_TARGET = 1.01;

  private CalibrationReport() {}

  /**
   * The sensitivity allocation's cost on a 36-layer encoder (6 blocks of hidden 384 and FFN 1536,
   * the shape of all-MiniLM-L6-v2) at a global ratio of 0.5, 4096 calibration tokens.
   *
   * @param layers the linear layers
   * @param spectrumSeconds calibration plus whitened compression, budget spread by the spectra
   * @param sensitivitySeconds the same with the budget spread by measured sensitivity
   * @param sameRanks whether both allocations gave the same ranks
   */
  public record Sensitivity(
      int layers, double spectrumSeconds, double sensitivitySeconds, boolean sameRanks) {}

  /**
   * Measures the sensitivity allocation on the 36-layer encoder (written once into {@code dir}).
   *
   * @param python the interpreter with torch and numpy
   * @param dir where the model and data are kept
   * @return the timings
   * @throws IOException if files cannot be written
   * @throws InputFileException if the model or data cannot be used
   */
  public static Sensitivity sensitivity(Path python, Path dir)
      throws IOException, InputFileException {
    Path model = dir.resolve("bert.pt");
    if (!Files.isRegularFile(model)) {
      Files.createDirectories(dir);
      PythonScript.Outcome made =
          PythonScript.run(
              python,
              "bert_calibration.py",
              List.of("make", dir.toString(), "--layers", "6", "--hidden", "384", "--ffn", "1536"));
      if (made.failure().isPresent()) {
        throw new IOException("cannot write the 36-layer model: " + made.failure().get());
      }
    }
    List<List<Tensor>> batches = batches(dir);
    ai.djl.engine.Engine.getEngine("PyTorch");
    Path work = Files.createTempDirectory("lowrank-sensitivity-bench");
    try {
      double[] seconds = new double[2];
      String[] ranks = new String[2];
      int layers = 0;
      for (dev.lowrank.compress.Allocation a : dev.lowrank.compress.Allocation.values()) {
        Calibration calibration = Calibration.builder().setBatches(batches).build();
        CompressionSpec spec =
            CompressionSpec.builder()
                .setPolicy(RankPolicy.ratio(0.5))
                .optScope(dev.lowrank.compress.Scope.GLOBAL)
                .optAllocation(a)
                .optCalibration(calibration)
                .build();
        long start = System.nanoTime();
        CompressionResult r = Compressor.compress(model, work.resolve(a.cliName() + ".pt"), spec);
        seconds[a.ordinal()] = (System.nanoTime() - start) / 1e9;
        ranks[a.ordinal()] = r.layers().stream().map(l -> l.rank().toString()).toList().toString();
        layers = r.layers().size();
      }
      return new Sensitivity(layers, seconds[0], seconds[1], ranks[0].equals(ranks[1]));
    } finally {
      OutputFiles.deleteRecursively(work);
    }
  }

  /**
   * Renders the sensitivity timing.
   *
   * @param s the timings
   * @return one paragraph
   */
  public static String table(Sensitivity s) {
    return String.format(
        Locale.ROOT,
        "sensitivity allocation, %d-layer encoder (hidden 384, FFN 1536), global ratio 0.5, 4,096"
            + " tokens:%n  spectrum allocation      %8.2f s%n  sensitivity allocation   %8.2f s"
            + " (%s ranks than the spectrum's)%n",
        s.layers(),
        s.spectrumSeconds(),
        s.sensitivitySeconds(),
        s.sameRanks() ? "the same" : "other");
  }

  /**
   * What the benchmark measured.
   *
   * @param parameters the model's parameters
   * @param tokens the calibration tokens
   * @param plainSeconds lowrank's plain compression
   * @param whitenedSeconds lowrank's calibration plus whitened compression
   * @param torch PyTorch's figures, when it ran
   * @param worstOptimality the largest data error over optimum of the whitened layers
   * @param sharedGroups groups of layers that shared one statistic
   * @param unavailable why a part did not run
   */
  public record Result(
      long parameters,
      long tokens,
      double plainSeconds,
      double whitenedSeconds,
      Optional<JsonObject> torch,
      double worstOptimality,
      int sharedGroups,
      List<String> unavailable) {

    /**
     * Returns whitened over PyTorch's total.
     *
     * @return the ratio, {@code NaN} without PyTorch
     */
    public double torchRatio() {
      return torch.map(t -> whitenedSeconds / t.get("total_s").getAsDouble()).orElse(Double.NaN);
    }

    /**
     * Returns whitened over plain.
     *
     * @return the ratio
     */
    public double plainRatio() {
      return whitenedSeconds / plainSeconds;
    }
  }

  /**
   * Runs the benchmark.
   *
   * @param python the interpreter with torch and numpy
   * @param dir where the model and data are (written there first when missing)
   * @return the figures
   * @throws IOException if files cannot be written
   * @throws InputFileException if the model or data cannot be used
   */
  public static Result run(Path python, Path dir) throws IOException, InputFileException {
    List<String> unavailable = new ArrayList<>();
    Path model = dir.resolve("bert.pt");
    if (!Files.isRegularFile(model)) {
      Files.createDirectories(dir);
      PythonScript.Outcome made =
          PythonScript.run(python, "bert_calibration.py", List.of("make", dir.toString()));
      if (made.failure().isPresent()) {
        throw new IOException("cannot write the benchmark model: " + made.failure().get());
      }
    }
    List<List<Tensor>> batches = batches(dir);
    long tokens = 0;
    for (List<Tensor> b : batches) {
      for (long v : b.get(1).longs()) {
        tokens += v != 0 ? 1 : 0;
      }
    }
    Path work = Files.createTempDirectory("lowrank-calibration-bench");
    // Load libtorch before timing: PyTorch's import is not timed either.
    ai.djl.engine.Engine.getEngine("PyTorch");
    try {
      CompressionSpec plain = CompressionSpec.builder().setPolicy(RankPolicy.rank(RANK)).build();
      long start = System.nanoTime();
      CompressionResult plainResult = Compressor.compress(model, work.resolve("plain.pt"), plain);
      double plainSeconds = (System.nanoTime() - start) / 1e9;

      Calibration calibration = Calibration.builder().setBatches(batches).build();
      CompressionSpec whitened =
          CompressionSpec.builder()
              .setPolicy(RankPolicy.rank(RANK))
              .optCalibration(calibration)
              .optMethod(TruncationMethod.WHITENED)
              .build();
      start = System.nanoTime();
      CompressionResult result = Compressor.compress(model, work.resolve("whitened.pt"), whitened);
      double whitenedSeconds = (System.nanoTime() - start) / 1e9;

      Optional<JsonObject> torch = Optional.empty();
      PythonScript.Outcome ref =
          PythonScript.run(
              python,
              "bert_calibration.py",
              List.of("reference", dir.toString(), "--rank", Integer.toString(RANK)));
      if (ref.stdout().isPresent()) {
        torch = Optional.of(JsonParser.parseString(ref.stdout().get()).getAsJsonObject());
      } else {
        unavailable.add("PyTorch reference: " + ref.failure().orElse("no output"));
      }
      double worst = worstOptimality(model, calibration, result);
      return new Result(
          plainResult.parametersOriginal(),
          tokens,
          plainSeconds,
          whitenedSeconds,
          torch,
          worst,
          result.calibration().map(c -> c.sharedInputs().size()).orElse(0),
          unavailable);
    } finally {
      OutputFiles.deleteRecursively(work);
    }
  }

  /** The calibration data as batches of 32 sequences: {@code x} and {@code attention_mask}. */
  static List<List<Tensor>> batches(Path dir) throws InputFileException {
    Dataset x = Datasets.read(dir.resolve("x.npy"));
    Dataset mask = Datasets.read(dir.resolve("attention_mask.npy"));
    long[] xShape =
        x.shape().orElse(dev.lowrank.data.SampleShape.flat(x.featureCount())).withBatch(x.size());
    long[] maskShape =
        mask.shape()
            .orElse(dev.lowrank.data.SampleShape.flat(mask.featureCount()))
            .withBatch(mask.size());
    Tensor all = Tensor.ofFloats("x", xShape, x.flatFeatures());
    float[] m = mask.flatFeatures();
    long[] longs = new long[m.length];
    for (int i = 0; i < m.length; i++) {
      longs[i] = (long) m[i];
    }
    Tensor masks = Tensor.ofLongs("attention_mask", maskShape, longs);
    List<List<Tensor>> out = new ArrayList<>();
    for (int start = 0; start < x.size(); start += 32) {
      int count = Math.min(32, x.size() - start);
      out.add(List.of(all.rows(start, count), masks.rows(start, count)));
    }
    return out;
  }

  /** The largest {@code dataError / optimum} from the exact whitened spectra. */
  private static double worstOptimality(
      Path model, Calibration calibration, CompressionResult result) throws InputFileException {
    ModelSummary summary = Compressor.inspect(model, calibration);
    double worst = 0;
    for (LayerSummary s : summary.layers()) {
      Optional<LayerResult> r = result.layer(s.layer().name());
      if (r.isEmpty() || !r.get().factorized() || s.dataSpectrum().isEmpty()) {
        continue;
      }
      DataFit fit = r.get().data().orElseThrow();
      LayerSpectrum spectrum = s.dataSpectrum().get();
      float[] values = spectrum.singularValues();
      double tail = 0;
      for (int i = r.get().rank().getAsInt(); i < values.length; i++) {
        tail += (double) values[i] * values[i];
      }
      double optimum = Math.sqrt(tail / spectrum.frobeniusNormSquared());
      worst = Math.max(worst, fit.dataError() / optimum);
    }
    return worst;
  }

  /**
   * Renders the figures as a table with the targets.
   *
   * @param r the figures
   * @return the text
   */
  public static String table(Result r) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "calibration + whitened compression, BERT-base-shaped encoder (%,d parameters), rank"
                + " %d, %,d calibration tokens%n",
            r.parameters(),
            RANK,
            r.tokens()));
    sb.append(
        String.format(
            Locale.ROOT, "  lowrank plain compression        %8.2f s%n", r.plainSeconds()));
    sb.append(
        String.format(
            Locale.ROOT, "  lowrank calibration + whitened   %8.2f s%n", r.whitenedSeconds()));
    r.torch()
        .ifPresent(
            t ->
                sb.append(
                    String.format(
                        Locale.ROOT,
                        "  PyTorch %s (%d threads)       %8.2f s (forward with hooks %.2f s,"
                            + " factorization %.2f s)%n",
                        t.get("torch").getAsString(),
                        t.get("threads").getAsInt(),
                        t.get("total_s").getAsDouble(),
                        t.get("forward_s").getAsDouble(),
                        t.get("factorize_s").getAsDouble())));
    sb.append(
        String.format(
            Locale.ROOT,
            "  whitened / PyTorch    %.2f  (target <= %.1f) %s%n",
            r.torchRatio(),
            TORCH_TARGET,
            verdict(r.torchRatio() <= TORCH_TARGET, Double.isNaN(r.torchRatio()))));
    sb.append(
        String.format(
            Locale.ROOT,
            "  whitened / plain      %.2f  (target <= %.1f) %s%n",
            r.plainRatio(),
            PLAIN_TARGET,
            verdict(r.plainRatio() <= PLAIN_TARGET, false)));
    sb.append(
        String.format(
            Locale.ROOT,
            "  worst layer's data error / optimum  %.4f  (target <= %.2f) %s%n",
            r.worstOptimality(),
            OPTIMUM_TARGET,
            verdict(r.worstOptimality() <= OPTIMUM_TARGET, false)));
    sb.append(
        String.format(
            Locale.ROOT, "  %d groups of layers shared one input statistic%n", r.sharedGroups()));
    for (String u : r.unavailable()) {
      sb.append("  not measured: ").append(u).append('\n');
    }
    return sb.toString();
  }

  /**
   * Renders the figures as JSON.
   *
   * @param r the figures
   * @return the document
   */
  public static String json(Result r) {
    JsonObject o = new JsonObject();
    o.addProperty("parameters", r.parameters());
    o.addProperty("rank", RANK);
    o.addProperty("tokens", r.tokens());
    o.addProperty("plainSeconds", r.plainSeconds());
    o.addProperty("whitenedSeconds", r.whitenedSeconds());
    r.torch().ifPresent(t -> o.add("torch", t));
    if (!Double.isNaN(r.torchRatio())) {
      o.addProperty("whitenedOverTorch", r.torchRatio());
    }
    o.addProperty("whitenedOverPlain", r.plainRatio());
    o.addProperty("worstOptimality", r.worstOptimality());
    o.addProperty("sharedGroups", r.sharedGroups());
    return new GsonBuilder().setPrettyPrinting().create().toJson(o);
  }

  private static String verdict(boolean met, boolean unknown) {
    return unknown ? "" : met ? "met" : "MISSED";
  }
}
