package dev.lowrank.compress.internal;

import dev.lowrank.format.Layer;
import dev.lowrank.linalg.RankTarget;
import java.util.List;
import java.util.Optional;

/**
 * What the compressor intends for one layer before any SVD runs: leave it (with a reason), or
 * factorize it, in one matrix form or, for a convolution whose form is chosen per layer, in the
 * better of two.
 *
 * @param layer the layer
 * @param candidates the factorizations to try, each with its SVD target; empty when the layer is
 *     left as it is
 * @param fewerWeights how to choose among several candidates: the one with fewer weights (an energy
 *     policy, where every candidate keeps the same energy), else the one with the smaller error
 * @param reason why the layer is left, when it is
 */
record LayerPlan(
    Layer layer, List<Candidate> candidates, boolean fewerWeights, Optional<String> reason) {

  /** Copies the list. */
  LayerPlan {
    candidates = List.copyOf(candidates);
  }

  /**
   * One factorization to try.
   *
   * @param form the matrix the weight is truncated as
   * @param target the SVD target
   * @param energy the energy share to reach when the rank follows from the spectrum, else empty
   */
  record Candidate(MatrixForm form, RankTarget target, Optional<Double> energy) {}

  static LayerPlan keep(Layer layer, String reason) {
    return new LayerPlan(layer, List.of(), false, Optional.of(reason));
  }

  static LayerPlan rank(Layer layer, int rank) {
    return rank(layer, MatrixForm.plain(layer), rank);
  }

  static LayerPlan rank(Layer layer, MatrixForm form, int rank) {
    return new LayerPlan(
        layer,
        List.of(new Candidate(form, RankTarget.leading(rank), Optional.empty())),
        false,
        Optional.empty());
  }

  static LayerPlan energy(Layer layer, MatrixForm form, double energy) {
    return new LayerPlan(
        layer,
        List.of(new Candidate(form, RankTarget.energy(energy), Optional.of(energy))),
        true,
        Optional.empty());
  }

  /** Whether the layer is left as it is. */
  boolean keeps() {
    return candidates.isEmpty();
  }

  /** The SVD target of the first (for a linear layer, the only) candidate; empty when kept. */
  Optional<RankTarget> target() {
    return candidates.isEmpty() ? Optional.empty() : Optional.of(candidates.get(0).target());
  }

  /** The energy share of the first candidate, when its rank follows from the spectrum. */
  Optional<Double> energy() {
    return candidates.isEmpty() ? Optional.empty() : candidates.get(0).energy();
  }
}
