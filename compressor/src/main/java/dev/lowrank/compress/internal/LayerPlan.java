package dev.lowrank.compress.internal;

import dev.lowrank.format.Layer;
import dev.lowrank.linalg.RankTarget;
import java.util.Optional;

/**
 * What the compressor intends for one layer before any SVD runs: leave it (with a reason), or
 * factorize it to a fixed rank or to an energy share.
 *
 * @param layer the layer
 * @param target the SVD target, empty when the layer is left as it is
 * @param energy the energy share to reach when the rank follows from the spectrum, else empty
 * @param reason why the layer is left, when it is
 */
record LayerPlan(
    Layer layer, Optional<RankTarget> target, Optional<Double> energy, Optional<String> reason) {

  static LayerPlan keep(Layer layer, String reason) {
    return new LayerPlan(layer, Optional.empty(), Optional.empty(), Optional.of(reason));
  }

  static LayerPlan rank(Layer layer, int rank) {
    return new LayerPlan(
        layer, Optional.of(RankTarget.leading(rank)), Optional.empty(), Optional.empty());
  }

  static LayerPlan energy(Layer layer, double energy) {
    return new LayerPlan(
        layer, Optional.of(RankTarget.energy(energy)), Optional.of(energy), Optional.empty());
  }
}
