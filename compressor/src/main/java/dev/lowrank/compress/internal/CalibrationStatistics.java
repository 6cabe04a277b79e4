package dev.lowrank.compress.internal;

import dev.lowrank.compress.CalibrationSummary;
import dev.lowrank.linalg.GramAccumulator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The input statistics of a model's layers on calibration data: per group of layers fed the same
 * tensor, one {@link GramAccumulator} (the group's first layer in call order leads it), the order
 * in which the model called the layers, and what the data was.
 */
final class CalibrationStatistics {

  /**
   * Layers fed the same input, and their statistics.
   *
   * @param layers the layers, in call order; the first leads
   * @param stats the statistics of their input
   */
  record Group(List<String> layers, GramAccumulator stats) {
    String leader() {
      return layers.get(0);
    }
  }

  private final List<Group> groups;
  private final Map<String, Group> byLayer = new LinkedHashMap<>();
  private final List<String> callOrder;
  private final CalibrationSummary summary;
  private final CalibrationBatches batches;

  CalibrationStatistics(
      List<Group> groups,
      List<String> callOrder,
      CalibrationSummary summary,
      CalibrationBatches batches) {
    this.groups = List.copyOf(groups);
    this.callOrder = List.copyOf(callOrder);
    this.summary = summary;
    this.batches = batches;
    for (Group g : groups) {
      for (String l : g.layers()) {
        byLayer.put(l, g);
      }
    }
  }

  /** The groups, in the call order of their leaders. */
  List<Group> groups() {
    return groups;
  }

  /** The statistics of a layer's input, empty when the data never reached the layer. */
  Optional<Group> group(String layer) {
    return Optional.ofNullable(byLayer.get(layer));
  }

  /** The layer whose statistics this one shares, empty when it leads its own. */
  Optional<String> sharedWith(String layer) {
    Group g = byLayer.get(layer);
    return g == null || g.leader().equals(layer) ? Optional.empty() : Optional.of(g.leader());
  }

  /** The observed layers in the order the model first called them. */
  List<String> callOrder() {
    return callOrder;
  }

  /** What the data was. */
  CalibrationSummary summary() {
    return summary;
  }

  /** The batches the statistics were computed on (for the passes that follow). */
  CalibrationBatches batches() {
    return batches;
  }

  /** The bytes the statistics hold. */
  long bytes() {
    long b = 0;
    for (Group g : groups) {
      b += g.stats().bytes();
    }
    return b;
  }

  /** The groups of more than one layer, as layer names. */
  static List<List<String>> shared(List<Group> groups) {
    List<List<String>> out = new ArrayList<>();
    for (Group g : groups) {
      if (g.layers().size() > 1) {
        out.add(g.layers());
      }
    }
    return out;
  }
}
