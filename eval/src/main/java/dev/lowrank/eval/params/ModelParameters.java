package dev.lowrank.eval.params;

import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import java.nio.file.Path;
import java.util.List;

/**
 * The parameters of one model: the total (every trained tensor) and each linear layer, as the
 * compressor's model formats count them (a factorized layer counts {@code r (n + m)} plus its
 * bias).
 *
 * @param total every parameter of the model
 * @param layers the linear layers in model order, empty when only the total is known
 * @param source how the figures were obtained: {@code djl} or {@code torchscript} (the compressor's
 *     format reader), or {@code djl-block} (DJL's view of a loaded model, a fallback without
 *     layers)
 */
public record ModelParameters(long total, List<Layer> layers, String source) {

  /** Copies the layer list. */
  public ModelParameters {
    layers = List.copyOf(layers);
  }

  /**
   * Reads a model's parameters through {@link ModelFormats#open(Path)}.
   *
   * @param model a model file or directory
   * @return the counts
   * @throws ModelFileException if no format can open the model
   */
  public static ModelParameters read(Path model) throws ModelFileException {
    try (SourceModel source = ModelFormats.open(model)) {
      return new ModelParameters(source.parameterCount(), source.layers(), source.format().name());
    }
  }
}
