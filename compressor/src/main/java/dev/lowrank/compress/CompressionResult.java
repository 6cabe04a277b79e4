package dev.lowrank.compress;

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
    Optional<CalibrationSummary> calibration) {

  /** Makes the collections unmodifiable. */
  public CompressionResult {
    settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    layers = List.copyOf(layers);
  }

  /**
   * Creates a result of a compression without calibration.
   *
   * @param toolVersion the lowrank version
   * @param format the model format
   * @param inputFile the input's file name, if any
   * @param inputSha256 the input's SHA-256, if any
   * @param settings the settings used
   * @param layers one entry per factorizable layer
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
        Optional.empty());
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
