package dev.lowrank.eval.sweep.internal;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.accuracy.Accuracy;
import dev.lowrank.eval.accuracy.Fidelity;
import dev.lowrank.eval.accuracy.Predictions;
import dev.lowrank.eval.data.DataInfo;
import dev.lowrank.eval.internal.Baseline;
import dev.lowrank.eval.model.InferenceModel;
import dev.lowrank.eval.model.ModelInfo;
import dev.lowrank.eval.params.DiskSize;
import dev.lowrank.eval.params.ModelParameters;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.eval.sweep.SweepPoint;
import dev.lowrank.eval.sweep.SweepResult;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.io.InputFileException;
import dev.lowrank.io.TemporaryFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Function;

/**
 * Compresses one model at several settings into a work directory and evaluates each result against
 * the original on the same data. Settings that give the same ranks as one already evaluated reuse
 * its figures.
 */
public final class SweepRunner implements AutoCloseable {

  private final Path modelPath;
  private final Baseline baseline;
  private final Function<RankPolicy, CompressionSpec> specs;
  private final Path workDir;
  private final boolean deleteWorkDir;
  private final Progress progress;
  private final long originalParameters;
  private final Map<String, SweepPoint> byRanks = new HashMap<>();
  private int counter;

  /**
   * Loads the original model and the data.
   *
   * @param modelPath the original model
   * @param data the data
   * @param inputShape the per-sample input shape, when given
   * @param pooling how per-token outputs become sentence embeddings before they are compared, or
   *     empty
   * @param batchSize samples per batch
   * @param specs the compression spec for each policy
   * @param workDir where to write the compressed models, empty for a temporary directory that is
   *     deleted on close
   * @param progress where to report
   * @throws InputFileException if the model or data cannot be used
   * @throws IOException if the work directory cannot be created
   */
  public SweepRunner(
      Path modelPath,
      DataSource data,
      Optional<SampleShape> inputShape,
      Optional<Pooling> pooling,
      int batchSize,
      Function<RankPolicy, CompressionSpec> specs,
      Optional<Path> workDir,
      Progress progress)
      throws InputFileException, IOException {
    this.modelPath = modelPath;
    this.specs = specs;
    this.progress = progress;
    this.deleteWorkDir = workDir.isEmpty();
    this.workDir =
        workDir.isPresent()
            ? Files.createDirectories(workDir.get())
            : TemporaryFiles.createDirectory("lowrank-sweep");
    Baseline prepared = null;
    try {
      prepared = Baseline.prepare(modelPath, data, inputShape, pooling, batchSize, progress);
      long params;
      try {
        params = ModelParameters.read(modelPath).total();
      } catch (ModelFileException e) {
        params = prepared.model().djlParameterCount();
      }
      this.originalParameters = params;
    } catch (InputFileException | RuntimeException | Error e) {
      if (prepared != null) {
        prepared.close();
      }
      if (deleteWorkDir) {
        TemporaryFiles.delete(this.workDir);
      }
      throw e;
    }
    this.baseline = prepared;
  }

  /**
   * Compresses the model with a policy and evaluates the result.
   *
   * @param policy the policy
   * @return the point
   * @throws ModelFileException if compression or evaluation fails
   * @throws IOException if the compressed model cannot be written
   */
  public SweepPoint evaluate(RankPolicy policy) throws InputFileException, IOException {
    Path out = workDir.resolve(outputName(policy));
    CompressionResult result = Compressor.compress(modelPath, out, specs.apply(policy));
    String ranks =
        result.layers().stream()
            .map(l -> l.rank().isPresent() ? Integer.toString(l.rank().getAsInt()) : "-")
            .reduce((a, b) -> a + "/" + b)
            .orElse("");
    SweepPoint same = byRanks.get(ranks);
    long size = DiskSize.of(out);
    if (same != null) {
      return new SweepPoint(
          policy,
          result.parametersCompressed(),
          result.parameterRatio(),
          size,
          same.accuracy(),
          same.drop(),
          same.fidelity(),
          result,
          same.meanCosine());
    }
    Predictions predictions;
    try (InferenceModel compressed = InferenceModel.load(out)) {
      predictions = baseline.predict(compressed, "accuracy " + policy.describe());
    }
    Fidelity fidelity = Fidelity.of(baseline.predictions(), predictions);
    Optional<Accuracy> accuracy = Optional.empty();
    OptionalDouble drop = OptionalDouble.empty();
    if (baseline.accuracy().isPresent()) {
      // Labeled data whose outputs are class scores (pooled embeddings have no classes).
      Accuracy a = Accuracy.of(predictions, baseline.data());
      accuracy = Optional.of(a);
      drop = OptionalDouble.of(baseline.accuracy().get().top1() - a.top1());
    }
    SweepPoint point =
        new SweepPoint(
            policy,
            result.parametersCompressed(),
            (double) result.parametersCompressed() / originalParameters,
            size,
            accuracy,
            drop,
            fidelity,
            result,
            meanCosine(baseline.predictions(), predictions));
    byRanks.put(ranks, point);
    return point;
  }

  /** The mean over samples of the cosine between two models' output rows (1 for two zero rows). */
  static double meanCosine(Predictions original, Predictions compressed) {
    double sum = 0;
    for (int i = 0; i < original.samples(); i++) {
      double dot = 0;
      double a = 0;
      double b = 0;
      for (int k = 0; k < original.width(); k++) {
        double x = original.score(i, k);
        double y = compressed.score(i, k);
        dot += x * y;
        a += x * x;
        b += y * y;
      }
      sum += a == 0 && b == 0 ? 1 : a == 0 || b == 0 ? 0 : dot / Math.sqrt(a * b);
    }
    return sum / original.samples();
  }

  /**
   * Collects points into a result.
   *
   * @param points the points, in the order evaluated
   * @return the sweep result
   * @throws IOException if the original model's size cannot be read
   */
  public SweepResult result(List<SweepPoint> points) throws IOException {
    return new SweepResult(
        Compressor.version(),
        new ModelInfo(modelPath, baseline.model().format(), DiskSize.of(modelPath)),
        DataInfo.of(baseline.data(), baseline.shape()),
        originalParameters,
        baseline.accuracy(),
        points,
        baseline.pooling());
  }

  /**
   * Returns the progress to report settings on.
   *
   * @return the progress
   */
  public Progress progress() {
    return progress;
  }

  private String outputName(RankPolicy policy) {
    counter++;
    String base =
        String.format(
            Locale.ROOT, "%02d-%s", counter, policy.describe().replaceAll("[^A-Za-z0-9.]+", "-"));
    if (Files.isDirectory(modelPath)) {
      return base;
    }
    String name = modelPath.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return base + (dot > 0 ? name.substring(dot) : ".pt");
  }

  @Override
  public void close() throws IOException {
    baseline.close();
    if (deleteWorkDir) {
      TemporaryFiles.delete(workDir);
    }
  }
}
