package dev.lowrank.eval;

import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.accuracy.Accuracy;
import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.accuracy.Fidelity;
import dev.lowrank.eval.accuracy.Predictions;
import dev.lowrank.eval.accuracy.TradeoffPoint;
import dev.lowrank.eval.data.DataInfo;
import dev.lowrank.eval.gate.Gate;
import dev.lowrank.eval.internal.Baseline;
import dev.lowrank.eval.internal.Provenance;
import dev.lowrank.eval.latency.LatencyBenchmark;
import dev.lowrank.eval.latency.LatencyComparison;
import dev.lowrank.eval.latency.LatencySettings;
import dev.lowrank.eval.model.EngineThreads;
import dev.lowrank.eval.model.InferenceModel;
import dev.lowrank.eval.model.InferenceSession;
import dev.lowrank.eval.model.ModelInfo;
import dev.lowrank.eval.params.DiskSize;
import dev.lowrank.eval.params.ModelParameters;
import dev.lowrank.eval.params.ParameterComparison;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.io.InputFileException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Evaluates a compressed model against its original: parameters, size on disk, accuracy (or
 * fidelity on unlabeled data), latency per batch size, and the singular-value spectra of the
 * original's layers. The result is an {@link EvalReport} for the report writers and the gate.
 *
 * <pre>{@code
 * EvalReport report = Evaluation.builder()
 *     .setOriginal(Path.of("mlp"))
 *     .setCompressed(Path.of("mlp-r16"))
 *     .setData(DataSource.file(Path.of("digits.csv"), DataOptions.defaults()))
 *     .optMaxAccuracyDrop(0.01)
 *     .build()
 *     .run();
 * ReportWriters.write(report, Path.of("eval.html"));
 * boolean ok = report.gate().orElseThrow().passed();
 * }</pre>
 *
 * <p>The per-sample input shape is the one given, else the one a DJL model stores, else flat
 * features. Data of named inputs (an {@code .npz} of forward arguments, text read with a tokenizer)
 * feeds a TorchScript model's {@code forward} arguments by name; for a text encoder returning
 * per-token states, {@link Builder#optPooling} compares sentence embeddings. Bad input (a missing
 * or unreadable file, a missing label column, labels outside the model's outputs, empty data, data
 * that does not fit the model's input, a compressed model whose manifest records another source
 * than the original) is reported as a {@link ModelFileException} whose one-line message names the
 * file. A compressed model without a manifest is compared anyway, and the report's {@link
 * EvalReport#warnings()} say so.
 */
public final class Evaluation {

  private final Builder b;

  private Evaluation(Builder b) {
    this.b = b;
  }

  /**
   * Starts a builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Runs the evaluation.
   *
   * @return the report
   * @throws InputFileException if a model or the data cannot be used (see the class comment)
   * @throws IOException if a model's size on disk cannot be read
   * @throws dev.lowrank.eval.latency.BatchTooLargeException if a latency batch size's arrays cannot
   *     be held (checked after the original's accuracy pass, before the compressed model runs)
   */
  public EvalReport run() throws InputFileException, IOException {
    b.threads.ifPresent(EngineThreads::setIntraOp);
    List<String> warnings = Provenance.check(b.original, b.compressed);
    try (Baseline base =
            Baseline.prepare(b.original, b.data, b.inputShape, b.pooling, b.batchSize, b.progress);
        InferenceModel compressed = InferenceModel.load(b.compressed)) {
      Dataset data = base.data();
      if (b.latency.isPresent()) {
        LatencyBenchmark.checkBatchSizes(
            b.latency.get().batchSizes(),
            data,
            base.shape(),
            base.predictions().width(),
            b.pooling);
      }
      Predictions after = base.predict(compressed, "accuracy compressed");
      Fidelity fidelity = Fidelity.of(base.predictions(), after);
      Optional<AccuracyComparison> accuracy = Optional.empty();
      if (base.accuracy().isPresent()) {
        accuracy =
            Optional.of(
                new AccuracyComparison(base.accuracy().orElseThrow(), Accuracy.of(after, data)));
      }
      ParameterComparison params = parameters(base.model(), compressed);
      List<LatencyComparison> latency = List.of();
      if (b.latency.isPresent()) {
        try (InferenceSession so = base.model().newSession();
            InferenceSession sc = compressed.newSession()) {
          latency =
              LatencyBenchmark.run(
                  so, sc, data, base.shape(), b.pooling, b.latency.get(), b.progress);
        }
      }
      List<LayerSpectrum> spectra = List.of();
      if (b.spectra) {
        try {
          spectra = Compressor.spectra(b.original, b.spectrumMaxSide);
        } catch (ModelFileException e) {
          // The compressor cannot read this format's weights: the report has no spectra plot.
          spectra = List.of();
        }
      }
      EvalReport.Builder report =
          EvalReport.builder()
              .setToolVersion(Compressor.version())
              .setOriginal(
                  new ModelInfo(b.original, base.model().format(), DiskSize.of(b.original)))
              .setCompressed(
                  new ModelInfo(b.compressed, compressed.format(), DiskSize.of(b.compressed)))
              .setData(DataInfo.of(data, base.shape()))
              .setParams(params)
              .setFidelity(fidelity)
              .setOutputs(base.predictions().width())
              .optLatency(latency)
              .setThreads(EngineThreads.current())
              .optSpectra(spectra)
              .optTradeoff(
                  b.tradeoff.isEmpty()
                      ? EvalReport.pair(params, accuracy, fidelity, "compressed")
                      : b.tradeoff)
              .optWarnings(warnings);
      accuracy.ifPresent(report::optAccuracy);
      b.pooling.ifPresent(report::optPooling);
      if (b.maxAccuracyDrop.isPresent()) {
        report.optGate(Gate.check(accuracy, fidelity, b.maxAccuracyDrop.getAsDouble()));
      }
      return report.build();
    }
  }

  private ParameterComparison parameters(InferenceModel original, InferenceModel compressed) {
    ModelParameters po;
    ModelParameters pc;
    try {
      po = ModelParameters.read(b.original);
      pc = ModelParameters.read(b.compressed);
    } catch (ModelFileException e) {
      // No compressor format reads these files: fall back to DJL's count, without layers.
      po = new ModelParameters(original.djlParameterCount(), List.of(), "djl-block");
      pc = new ModelParameters(compressed.djlParameterCount(), List.of(), "djl-block");
    }
    return ParameterComparison.of(po, pc);
  }

  /** Builds an {@link Evaluation}: {@code set*} is required, {@code opt*} optional. */
  public static final class Builder {

    private Path original;
    private Path compressed;
    private DataSource data;
    private Optional<SampleShape> inputShape = Optional.empty();
    private Optional<Pooling> pooling = Optional.empty();
    private Optional<LatencySettings> latency = Optional.of(LatencySettings.defaults());
    private int batchSize = 64;
    private boolean spectra = true;
    private int spectrumMaxSide = 2048;
    private OptionalDouble maxAccuracyDrop = OptionalDouble.empty();
    private OptionalInt threads = OptionalInt.empty();
    private Progress progress = Progress.none();
    private List<TradeoffPoint> tradeoff = List.of();

    private Builder() {}

    /**
     * Sets the original model (required).
     *
     * @param model a DJL model directory or TorchScript file
     * @return this builder
     */
    public Builder setOriginal(Path model) {
      this.original = model;
      return this;
    }

    /**
     * Sets the compressed model (required).
     *
     * @param model a DJL model directory or TorchScript file
     * @return this builder
     */
    public Builder setCompressed(Path model) {
      this.compressed = model;
      return this;
    }

    /**
     * Sets the data (required).
     *
     * @param data a file read once the model's input shape is known, or a data set in memory
     * @return this builder
     */
    public Builder setData(DataSource data) {
      this.data = data;
      return this;
    }

    /**
     * Sets data held in memory (required, or {@link #setData(DataSource)}).
     *
     * @param data the samples
     * @return this builder
     */
    public Builder setData(Dataset data) {
      return setData(DataSource.of(data));
    }

    /**
     * Sets the per-sample input shape, e.g. {@code 1x8x8} (default: the shape a DJL model stores,
     * else flat features).
     *
     * @param shape the shape
     * @return this builder
     */
    public Builder optInputShape(SampleShape shape) {
      this.inputShape = Optional.of(shape);
      return this;
    }

    /**
     * Pools a text encoder's per-token outputs ({@code batch x tokens x hidden}) into sentence
     * embeddings (default: outputs compared as the models return them). Fidelity is then measured
     * on the embeddings (cosine to the original's, relative L2 error); labels play no part.
     *
     * @param pooling {@link Pooling#MEAN} (sentence-transformers) or {@link Pooling#CLS}
     * @return this builder
     */
    public Builder optPooling(Pooling pooling) {
      this.pooling = Optional.of(pooling);
      return this;
    }

    /**
     * Sets how latency is measured (default {@link LatencySettings#defaults()}).
     *
     * @param settings batch sizes, warm-up and stopping
     * @return this builder
     */
    public Builder optLatency(LatencySettings settings) {
      this.latency = Optional.of(settings);
      return this;
    }

    /**
     * Sets the latency batch sizes, keeping the other default latency settings.
     *
     * @param batchSizes e.g. 1, 8, 64
     * @return this builder
     */
    public Builder optBatchSizes(List<Integer> batchSizes) {
      this.latency = Optional.of(LatencySettings.builder().optBatchSizes(batchSizes).build());
      return this;
    }

    /**
     * Skips the latency measurement.
     *
     * @return this builder
     */
    public Builder optSkipLatency() {
      this.latency = Optional.empty();
      return this;
    }

    /**
     * Sets the batch size of the accuracy passes (default 64).
     *
     * @param batchSize at least 1
     * @return this builder
     */
    public Builder optBatchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /**
     * Sets whether to compute the singular-value spectra of the original's layers (default on);
     * layers whose smaller side exceeds {@code maxSide} are skipped.
     *
     * @param enabled whether to compute them
     * @param maxSide the largest {@code min(n, m)} decomposed (default 2048)
     * @return this builder
     */
    public Builder optSpectra(boolean enabled, int maxSide) {
      this.spectra = enabled;
      this.spectrumMaxSide = maxSide;
      return this;
    }

    /**
     * Checks the result against a maximum accuracy drop; the report then carries the verdict.
     *
     * @param maxDrop a fraction in [0, 1] (0.01 = one percentage point)
     * @return this builder
     */
    public Builder optMaxAccuracyDrop(double maxDrop) {
      this.maxAccuracyDrop = OptionalDouble.of(maxDrop);
      return this;
    }

    /**
     * Sets the engine's intra-op threads for the whole process (default: PyTorch's choice).
     *
     * @param threads at least 1
     * @return this builder
     */
    public Builder optThreads(int threads) {
      this.threads = OptionalInt.of(threads);
      return this;
    }

    /**
     * Sets where progress is reported (default: nowhere; use {@code ProgressBars.auto()} for a
     * terminal bar).
     *
     * @param progress the progress
     * @return this builder
     */
    public Builder optProgress(Progress progress) {
      this.progress = progress;
      return this;
    }

    /**
     * Sets the accuracy-against-parameters points to plot, e.g. a sweep's {@code tradeoff()}
     * (default: the original and the compressed model).
     *
     * @param points the points
     * @return this builder
     */
    public Builder optTradeoff(List<TradeoffPoint> points) {
      this.tradeoff = List.copyOf(points);
      return this;
    }

    /**
     * Checks and builds the evaluation.
     *
     * @return the evaluation
     * @throws IllegalArgumentException if a required setting is missing or a value out of range
     */
    public Evaluation build() {
      if (original == null) {
        throw new IllegalArgumentException("Set the original model with setOriginal");
      }
      if (compressed == null) {
        throw new IllegalArgumentException("Set the compressed model with setCompressed");
      }
      if (data == null) {
        throw new IllegalArgumentException("Set the evaluation data with setData");
      }
      if (batchSize < 1) {
        throw new IllegalArgumentException("The batch size must be at least 1, got " + batchSize);
      }
      if (spectrumMaxSide < 1) {
        throw new IllegalArgumentException("The spectrum size limit must be at least 1");
      }
      maxAccuracyDrop.ifPresent(Gate::checkLimit);
      if (threads.isPresent() && threads.getAsInt() < 1) {
        throw new IllegalArgumentException("threads must be at least 1");
      }
      return new Evaluation(this);
    }
  }
}
