package dev.lowrank.eval.params;

import dev.lowrank.format.ConvForm;
import dev.lowrank.format.Layer;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One layer's parameters in the original and the compressed model.
 *
 * @param layer the layer in the original model
 * @param compressedLayer the layer of the same name in the compressed model, empty if it has none
 */
public record LayerParameters(Layer layer, Optional<Layer> compressedLayer) {

  /**
   * Returns the layer's name.
   *
   * @return the name as the model format spells it
   */
  public String name() {
    return layer.name();
  }

  /**
   * Returns the layer's parameters in the original model.
   *
   * @return the count
   */
  public long original() {
    return layer.parameters();
  }

  /**
   * Returns the layer's parameters in the compressed model.
   *
   * @return the count, empty if the compressed model has no layer of that name
   */
  public OptionalLong compressed() {
    return compressedLayer.map(c -> OptionalLong.of(c.parameters())).orElse(OptionalLong.empty());
  }

  /**
   * Returns the rank of the compressed layer's factors.
   *
   * @return the rank, empty when it is dense or missing
   */
  public OptionalInt rank() {
    return compressedLayer.map(Layer::lowRank).orElse(OptionalInt.empty());
  }

  /**
   * Returns the form of the compressed convolution's factors.
   *
   * @return channel or spatial, empty for a linear layer or a dense one
   */
  public Optional<ConvForm> form() {
    return compressedLayer.flatMap(Layer::form);
  }

  /**
   * Returns the rank as tables show it: the rank, followed by the form of a convolution's factors.
   *
   * @return e.g. {@code 16} or {@code 16 spatial}, empty when dense
   */
  public Optional<String> rankLabel() {
    OptionalInt r = rank();
    if (r.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(r.getAsInt() + form().map(f -> " " + f.label()).orElse(""));
  }

  /**
   * Returns why the original layer cannot be factorized whatever the settings, as the model format
   * reports it.
   *
   * @return the reason, empty when it can
   */
  public Optional<String> note() {
    return layer.ineligible();
  }

  /**
   * Returns {@code compressed / original}, 1 when the compressed layer is missing.
   *
   * @return the share of the layer's parameters left
   */
  public double ratio() {
    long o = original();
    return compressedLayer.isPresent() && o > 0 ? (double) compressed().getAsLong() / o : 1;
  }
}
