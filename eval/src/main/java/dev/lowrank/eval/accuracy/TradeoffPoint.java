package dev.lowrank.eval.accuracy;

import java.util.OptionalDouble;

/**
 * One point of the accuracy-against-parameters plot: a model and how it scores.
 *
 * @param label what the point is, e.g. {@code original}, {@code rank 8}, {@code energy 0.9}
 * @param parameters the model's parameter count
 * @param accuracy top-1 accuracy (a fraction), empty on unlabeled data
 * @param agreement top-1 agreement with the original model (a fraction)
 * @param original whether this is the uncompressed model
 */
public record TradeoffPoint(
    String label, long parameters, OptionalDouble accuracy, double agreement, boolean original) {}
