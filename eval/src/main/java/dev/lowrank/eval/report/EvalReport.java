package dev.lowrank.eval.report;

import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.accuracy.Fidelity;
import dev.lowrank.eval.accuracy.TradeoffPoint;
import dev.lowrank.eval.data.DataInfo;
import dev.lowrank.eval.gate.Gate;
import dev.lowrank.eval.gate.GateVerdict;
import dev.lowrank.eval.latency.LatencyComparison;
import dev.lowrank.eval.model.EngineThreads;
import dev.lowrank.eval.model.ModelInfo;
import dev.lowrank.eval.params.ParameterComparison;
import dev.lowrank.eval.pooling.Pooling;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Everything an evaluation of a compressed model against its original found: how much smaller, how
 * much faster, how much worse. Immutable; written by the {@link ReportWriter}s (JSON schema in
 * {@code eval/REPORT-SCHEMA.md}). Make one with {@link #builder()}, a changed copy with {@link
 * #toBuilder()}.
 *
 * @param toolVersion the lowrank version that made the report
 * @param original the original model
 * @param compressed the compressed model
 * @param data the data set
 * @param params parameters, in total and per linear layer
 * @param accuracy top-1 (and top-5) accuracies and the drop, when the data is labeled
 * @param fidelity agreement of the two models' outputs
 * @param outputs the models' output width (classes; for pooled outputs, the embedding width)
 * @param pooling how a text encoder's per-token outputs were pooled into the sentence embeddings
 *     that were compared, empty when outputs were compared as the models return them
 * @param latency one entry per batch size, empty when latency was not measured
 * @param threads the engine's thread pools during the measurements
 * @param spectra singular values of the original model's dense linear layers
 * @param tradeoff accuracy-against-parameters points (a sweep's, or the original and compressed
 *     pair)
 * @param gate the gate verdict, when a maximum accuracy drop was given
 * @param warnings what the evaluation could not check, one sentence each (e.g. that the compressed
 *     model was made from the original, when it carries no manifest); empty when none
 */
public record EvalReport(
    String toolVersion,
    ModelInfo original,
    ModelInfo compressed,
    DataInfo data,
    ParameterComparison params,
    Optional<AccuracyComparison> accuracy,
    Fidelity fidelity,
    int outputs,
    Optional<Pooling> pooling,
    List<LatencyComparison> latency,
    EngineThreads threads,
    List<LayerSpectrum> spectra,
    List<TradeoffPoint> tradeoff,
    Optional<GateVerdict> gate,
    List<String> warnings) {

  /** Copies the lists. */
  public EvalReport {
    latency = List.copyOf(latency);
    spectra = List.copyOf(spectra);
    tradeoff = List.copyOf(tradeoff);
    warnings = List.copyOf(warnings);
  }

  /**
   * Starts a builder: {@code set*} is required, {@code opt*} optional.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder holding this report's values, to make a changed copy.
   *
   * @return a builder with every field set from this report
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.toolVersion = toolVersion;
    b.original = original;
    b.compressed = compressed;
    b.data = data;
    b.params = params;
    b.accuracy = accuracy;
    b.fidelity = fidelity;
    b.outputs = outputs;
    b.pooling = pooling;
    b.latency = latency;
    b.threads = threads;
    b.spectra = spectra;
    b.tradeoff = tradeoff;
    b.gate = gate;
    b.warnings = new ArrayList<>(warnings);
    return b;
  }

  /**
   * Returns the two points of this comparison for the accuracy-against-parameters plot.
   *
   * @param params the parameter counts
   * @param accuracy the accuracies, when labeled
   * @param fidelity the agreement
   * @param compressedLabel the compressed model's label
   * @return the original's point, then the compressed model's
   */
  public static List<TradeoffPoint> pair(
      ParameterComparison params,
      Optional<AccuracyComparison> accuracy,
      Fidelity fidelity,
      String compressedLabel) {
    List<TradeoffPoint> points = new ArrayList<>();
    points.add(
        new TradeoffPoint(
            "original",
            params.original(),
            accuracy
                .map(a -> OptionalDouble.of(a.original().top1()))
                .orElse(OptionalDouble.empty()),
            1.0,
            true));
    points.add(
        new TradeoffPoint(
            compressedLabel,
            params.compressed(),
            accuracy
                .map(a -> OptionalDouble.of(a.compressed().top1()))
                .orElse(OptionalDouble.empty()),
            fidelity.top1Agreement(),
            false));
    return points;
  }

  /**
   * Returns the headline figures as name-value pairs, named as in the JSON report (e.g. {@code
   * params.ratio}, {@code accuracy.drop}, {@code latency.b1.speedup}), for CI properties such as
   * the JUnit XML report's.
   *
   * @return the figures, in a stable order
   */
  public Map<String, String> keyFigures() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("models.original", original.path().toString());
    m.put("models.compressed", compressed.path().toString());
    m.put("data", data.describe());
    m.put("params.original", Long.toString(params.original()));
    m.put("params.compressed", Long.toString(params.compressed()));
    m.put("params.ratio", number(params.ratio()));
    m.put("size.original", Long.toString(original.sizeBytes()));
    m.put("size.compressed", Long.toString(compressed.sizeBytes()));
    accuracy.ifPresent(
        a -> {
          m.put("accuracy.original", number(a.original().top1()));
          m.put("accuracy.compressed", number(a.compressed().top1()));
          m.put("accuracy.drop", number(a.drop()));
        });
    m.put("fidelity.top1Agreement", number(fidelity.top1Agreement()));
    m.put("fidelity.relativeL2Error", number(fidelity.relativeL2Error()));
    fidelity.meanCosine().ifPresent(c -> m.put("fidelity.meanCosine", number(c)));
    fidelity.minCosine().ifPresent(c -> m.put("fidelity.minCosine", number(c)));
    pooling.ifPresent(p -> m.put("pooling", p.cliName()));
    for (LatencyComparison c : latency) {
      String b = "latency.b" + c.batchSize() + ".";
      m.put(b + "original.p50Ms", number(c.original().p50Ms()));
      m.put(b + "compressed.p50Ms", number(c.compressed().p50Ms()));
      m.put(b + "speedup", number(c.speedup()));
    }
    m.put("threads.intraOp", Integer.toString(threads.intraOp()));
    m.put("toolVersion", toolVersion);
    return m;
  }

  private static String number(double v) {
    return String.format(Locale.ROOT, "%.6g", v);
  }

  /**
   * Checks this report against a maximum accuracy drop (see {@link Gate}).
   *
   * @param maxAccuracyDrop the largest drop that passes, a fraction
   * @return the verdict
   */
  public GateVerdict checkGate(double maxAccuracyDrop) {
    return Gate.check(accuracy, fidelity, maxAccuracyDrop);
  }

  /**
   * Returns a copy with the gate verdict for a maximum accuracy drop.
   *
   * @param maxAccuracyDrop the largest drop that passes, a fraction
   * @return the report with its {@code gate} set
   */
  public EvalReport withGate(double maxAccuracyDrop) {
    return toBuilder().optGate(checkGate(maxAccuracyDrop)).build();
  }

  /**
   * Returns a copy whose accuracy-against-parameters points are a sweep's.
   *
   * @param points the points to plot
   * @return the report with {@code tradeoff} replaced
   */
  public EvalReport withTradeoff(List<TradeoffPoint> points) {
    return toBuilder().optTradeoff(points).build();
  }

  /** Builds an {@link EvalReport}: {@code set*} is required, {@code opt*} optional. */
  public static final class Builder {

    private String toolVersion;
    private ModelInfo original;
    private ModelInfo compressed;
    private DataInfo data;
    private ParameterComparison params;
    private Optional<AccuracyComparison> accuracy = Optional.empty();
    private Fidelity fidelity;
    private int outputs = -1;
    private Optional<Pooling> pooling = Optional.empty();
    private List<LatencyComparison> latency = List.of();
    private EngineThreads threads;
    private List<LayerSpectrum> spectra = List.of();
    private List<TradeoffPoint> tradeoff = List.of();
    private Optional<GateVerdict> gate = Optional.empty();
    private List<String> warnings = new ArrayList<>();

    private Builder() {}

    /**
     * Sets the lowrank version that made the report (required).
     *
     * @param version e.g. {@code Compressor.version()}
     * @return this builder
     */
    public Builder setToolVersion(String version) {
      this.toolVersion = version;
      return this;
    }

    /**
     * Sets the original model (required).
     *
     * @param original its path, format and size
     * @return this builder
     */
    public Builder setOriginal(ModelInfo original) {
      this.original = original;
      return this;
    }

    /**
     * Sets the compressed model (required).
     *
     * @param compressed its path, format and size
     * @return this builder
     */
    public Builder setCompressed(ModelInfo compressed) {
      this.compressed = compressed;
      return this;
    }

    /**
     * Sets the data set (required).
     *
     * @param data what was evaluated on
     * @return this builder
     */
    public Builder setData(DataInfo data) {
      this.data = data;
      return this;
    }

    /**
     * Sets the parameter counts (required).
     *
     * @param params in total and per linear layer
     * @return this builder
     */
    public Builder setParams(ParameterComparison params) {
      this.params = params;
      return this;
    }

    /**
     * Sets the agreement of the two models' outputs (required).
     *
     * @param fidelity the agreement
     * @return this builder
     */
    public Builder setFidelity(Fidelity fidelity) {
      this.fidelity = fidelity;
      return this;
    }

    /**
     * Sets the models' output width (required).
     *
     * @param outputs the number of outputs (classes), at least 0
     * @return this builder
     */
    public Builder setOutputs(int outputs) {
      this.outputs = outputs;
      return this;
    }

    /**
     * Records that the outputs compared were sentence embeddings pooled from per-token states
     * (default: outputs compared as the models return them).
     *
     * @param pooling the pooling
     * @return this builder
     */
    public Builder optPooling(Pooling pooling) {
      this.pooling = Optional.of(pooling);
      return this;
    }

    /**
     * Sets the engine's thread pools during the measurements (required).
     *
     * @param threads the thread counts
     * @return this builder
     */
    public Builder setThreads(EngineThreads threads) {
      this.threads = threads;
      return this;
    }

    /**
     * Sets the accuracies, on labeled data (default: none).
     *
     * @param accuracy the comparison of top-1 (and top-5) accuracies
     * @return this builder
     */
    public Builder optAccuracy(AccuracyComparison accuracy) {
      this.accuracy = Optional.of(accuracy);
      return this;
    }

    /**
     * Sets the latency per batch size (default: not measured).
     *
     * @param latency one entry per batch size
     * @return this builder
     */
    public Builder optLatency(List<LatencyComparison> latency) {
      this.latency = latency;
      return this;
    }

    /**
     * Sets the singular values of the original's dense linear layers (default: none).
     *
     * @param spectra the spectra
     * @return this builder
     */
    public Builder optSpectra(List<LayerSpectrum> spectra) {
      this.spectra = spectra;
      return this;
    }

    /**
     * Sets the accuracy-against-parameters points (default: none).
     *
     * @param points a sweep's points, or {@link EvalReport#pair}
     * @return this builder
     */
    public Builder optTradeoff(List<TradeoffPoint> points) {
      this.tradeoff = points;
      return this;
    }

    /**
     * Sets the gate verdict (default: no gate).
     *
     * @param verdict the verdict
     * @return this builder
     */
    public Builder optGate(GateVerdict verdict) {
      this.gate = Optional.of(verdict);
      return this;
    }

    /**
     * Adds warnings, each one sentence saying what could not be checked (default: none).
     *
     * @param messages the warnings, in the order to show them
     * @return this builder
     */
    public Builder optWarnings(List<String> messages) {
      this.warnings.addAll(messages);
      return this;
    }

    /**
     * Checks and builds the report.
     *
     * @return the report
     * @throws IllegalArgumentException if a required value is missing
     */
    public EvalReport build() {
      require(toolVersion, "setToolVersion");
      require(original, "setOriginal");
      require(compressed, "setCompressed");
      require(data, "setData");
      require(params, "setParams");
      require(fidelity, "setFidelity");
      require(threads, "setThreads");
      if (outputs < 0) {
        throw new IllegalArgumentException("Set the output width (at least 0) with setOutputs");
      }
      for (String w : warnings) {
        require(w, "optWarnings without null entries");
      }
      return new EvalReport(
          toolVersion,
          original,
          compressed,
          data,
          params,
          accuracy,
          fidelity,
          outputs,
          pooling,
          latency,
          threads,
          spectra,
          tradeoff,
          gate,
          warnings);
    }

    private static void require(Object value, String setter) {
      if (value == null) {
        throw new IllegalArgumentException("Set every required value: call " + setter);
      }
    }
  }
}
