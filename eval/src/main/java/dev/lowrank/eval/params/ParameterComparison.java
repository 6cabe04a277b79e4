package dev.lowrank.eval.params;

import dev.lowrank.format.Layer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parameters of an original model and its compressed version, in total and per linear layer
 * (matched by name).
 *
 * @param original every parameter of the original model
 * @param compressed every parameter of the compressed model
 * @param layers the original model's linear layers with their compressed counterparts
 * @param source how the figures were obtained (see {@link ModelParameters#source()})
 */
public record ParameterComparison(
    long original, long compressed, List<LayerParameters> layers, String source) {

  /** Copies the layer list. */
  public ParameterComparison {
    layers = List.copyOf(layers);
  }

  /**
   * Returns {@code compressed / original}: 0.4 means the compressed model holds 40% of the
   * parameters.
   *
   * @return the share of parameters left
   */
  public double ratio() {
    return original == 0 ? 1 : (double) compressed / original;
  }

  /**
   * Pairs the layers of two models by name.
   *
   * @param original the original model's parameters
   * @param compressed the compressed model's parameters
   * @return the comparison
   */
  public static ParameterComparison of(ModelParameters original, ModelParameters compressed) {
    Map<String, Layer> byName = new LinkedHashMap<>();
    for (Layer l : compressed.layers()) {
      byName.put(l.name(), l);
    }
    List<LayerParameters> layers = new ArrayList<>();
    for (Layer l : original.layers()) {
      Layer c = byName.get(l.name());
      layers.add(new LayerParameters(l, Optional.ofNullable(c)));
    }
    String source =
        original.source().equals(compressed.source())
            ? original.source()
            : original.source() + "/" + compressed.source();
    return new ParameterComparison(original.total(), compressed.total(), layers, source);
  }
}
