package dev.lowrank.compress;

import dev.lowrank.finetune.FinetuneReport;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a compression did: one {@link LayerResult} per factorizable layer and the model's parameter
 * totals. Immutable; {@link ManifestJson} writes and reads it as JSON.
 *
 * @param toolVersion the lowrank version that made it
 * @param format the model format, {@code djl} or {@code torchscript}
 * @param inputFile the input's file name, empty for an in-memory model
 * @param inputSha256 SHA-256 of the input file (for a directory, of its files in name order), empty
 *     for an in-memory model
 * @param settings the {@link CompressionSpec#settings()} used
 * @param layers one entry per factorizable layer, in model order
 * @param parametersOriginal every parameter of the input model
 * @param parametersCompressed every parameter of the output model
 * @param calibration what the compression was calibrated on, for a data-aware one
 * @param finetune what fine-tuning did to the factors after truncation, empty when none ran
 */
public record CompressionResult(
    String toolVersion,
    String format,
    Optional<String> inputFile,
    Optional<String> inputSha256,
    Map<String, String> settings,
    List<LayerResult> layers,
    long parametersOriginal,
    long parametersCompressed,
    Optional<CalibrationSummary> calibration,
    Optional<FinetuneReport> finetune) {

  /** Makes the collections unmodifiable. */
  public CompressionResult {
    settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    layers = List.copyOf(layers);
    java.util.Objects.requireNonNull(calibration, "calibration");
    java.util.Objects.requireNonNull(finetune, "finetune");
  }

  /**
   * Creates the result of a truncation without calibration or fine-tuning.
   *
   * @param toolVersion the lowrank version that made it
   * @param format the model format
   * @param inputFile the input's file name, empty for an in-memory model
   * @param inputSha256 SHA-256 of the input, empty for an in-memory model
   * @param settings the settings used
   * @param layers one entry per factorizable layer, in model order
   * @param parametersOriginal every parameter of the input model
   * @param parametersCompressed every parameter of the output model
   */
  public CompressionResult(
      String toolVersion,
      String format,
      Optional<String> inputFile,
      Optional<String> inputSha256,
      Map<String, String> settings,
      List<LayerResult> layers,
      long parametersOriginal,
      long parametersCompressed) {
    this(
        toolVersion,
        format,
        inputFile,
        inputSha256,
        settings,
        layers,
        parametersOriginal,
        parametersCompressed,
        Optional.empty(),
        Optional.empty());
  }

  /**
   * Returns this result after fine-tuning: the layers' entries replaced (their errors measured on
   * the trained factors) and the fine-tuning's report added.
   *
   * @param tunedLayers the layers' entries for the trained factors, in model order
   * @param report what the fine-tuning did
   * @return a new result
   */
  public CompressionResult withFinetune(List<LayerResult> tunedLayers, FinetuneReport report) {
    return new CompressionResult(
        toolVersion,
        format,
        inputFile,
        inputSha256,
        settings,
        tunedLayers,
        parametersOriginal,
        parametersCompressed,
        calibration,
        Optional.of(report));
  }

  /**
   * Returns {@code parametersCompressed / parametersOriginal}.
   *
   * @return the share of parameters left
   */
  public double parameterRatio() {
    return parametersOriginal == 0 ? 1 : (double) parametersCompressed / parametersOriginal;
  }

  /**
   * Returns the layers that were factorized by this run.
   *
   * @return the factorized entries, in model order
   */
  public List<LayerResult> factorizedLayers() {
    return layers.stream().filter(LayerResult::factorized).toList();
  }

  /**
   * Returns one layer's entry.
   *
   * @param name the layer name
   * @return the entry, if there is a layer of that name
   */
  public Optional<LayerResult> layer(String name) {
    return layers.stream().filter(l -> l.name().equals(name)).findFirst();
  }

  /**
   * Returns the JSON report (the same document as the manifest).
   *
   * @return pretty-printed JSON
   */
  public String toJson() {
    return ManifestJson.toJson(this);
  }
}
