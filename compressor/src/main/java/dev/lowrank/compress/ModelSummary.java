package dev.lowrank.compress;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What {@code lowrank inspect} reports about a model: its format, every parameter, and each
 * factorizable layer with the ranks energy thresholds would need.
 *
 * @param path the model file or directory
 * @param format {@code djl} or {@code torchscript}
 * @param parameters every parameter of the model
 * @param layers the factorizable layers in model order
 * @param manifest the manifest the model carries when lowrank wrote it
 */
public record ModelSummary(
    Path path,
    String format,
    long parameters,
    List<LayerSummary> layers,
    Optional<CompressionResult> manifest) {

  /** Copies the list. */
  public ModelSummary {
    layers = List.copyOf(layers);
  }

  /**
   * Returns the parameters held by the factorizable layers.
   *
   * @return the sum of the layers' parameters
   */
  public long linearParameters() {
    return layers.stream().mapToLong(l -> l.layer().parameters()).sum();
  }
}
