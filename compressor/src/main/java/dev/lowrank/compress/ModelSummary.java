package dev.lowrank.compress;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code lowrank inspect} reports about a model: its format, every parameter, and each linear
 * layer with the ranks energy thresholds would need.
 *
 * @param path the model file or directory
 * @param format {@code djl} or {@code torchscript}
 * @param parameters every parameter of the model
 * @param layers the linear layers in model order
 */
public record ModelSummary(Path path, String format, long parameters, List<LayerSummary> layers) {

  /** Copies the list. */
  public ModelSummary {
    layers = List.copyOf(layers);
  }

  /**
   * Returns the parameters held by linear layers.
   *
   * @return the sum of the layers' parameters
   */
  public long linearParameters() {
    return layers.stream().mapToLong(l -> l.layer().parameters()).sum();
  }
}
