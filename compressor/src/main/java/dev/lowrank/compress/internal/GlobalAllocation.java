package dev.lowrank.compress.internal;

import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.SourceModel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Gives ranks to several layers under one model-wide budget ({@link dev.lowrank.compress.Scope}
 * GLOBAL): every singular value of every layer is a candidate whose gain is its share of its
 * layer's energy ({@code s_i^2 / ||W||_F^2}) and whose cost is the {@code n + m} weights one more
 * rank needs. Candidates are taken by gain per weight, best first; since a layer's gains decrease,
 * each layer always receives a prefix of its spectrum.
 */
final class GlobalAllocation {

  private GlobalAllocation() {}

  private record Candidate(int layer, int index, double gain, long cost) {}

  /**
   * Plans each layer's rank.
   *
   * @param model the model, to read weights
   * @param layers the layers sharing the budget (dense, eligible)
   * @param policy a ratio (the factorized weights stay within this share of the layers' dense
   *     weights) or an energy (the layers' mean kept energy share reaches it)
   * @return a plan per layer name
   * @throws ModelFileException if a weight cannot be read or is not finite
   */
  static Map<String, LayerPlan> allocate(SourceModel model, List<Layer> layers, RankPolicy policy)
      throws ModelFileException {
    Map<String, Optional<LayerSpectrum>> spectra = new LinkedHashMap<>();
    for (Layer layer : layers) {
      spectra.put(layer.name(), Spectra.of(model, layer));
    }
    return allocate(layers, spectra, Map.of(), policy);
  }

  /**
   * Plans each layer's rank from given spectra: those of the weights, or of the scaled weights of a
   * data-aware method (whose energy is the layer's output energy on the calibration data), each
   * layer's gains multiplied by its weight (a measured sensitivity; 1 when absent).
   *
   * @param layers the layers sharing the budget
   * @param spectra per layer name, the spectrum the gains come from (empty: an all-zero matrix)
   * @param weights per layer name, the factor of its gains (missing: 1)
   * @param policy a ratio or an energy
   * @return a plan per layer name
   */
  static Map<String, LayerPlan> allocate(
      List<Layer> layers,
      Map<String, Optional<LayerSpectrum>> spectra,
      Map<String, Double> weights,
      RankPolicy policy) {
    List<Candidate> candidates = new ArrayList<>();
    long denseWeights = 0;
    boolean[] zero = new boolean[layers.size()];
    for (int l = 0; l < layers.size(); l++) {
      Layer layer = layers.get(l);
      Optional<LayerSpectrum> spectrum = spectra.getOrDefault(layer.name(), Optional.empty());
      double norm2 = spectrum.map(LayerSpectrum::frobeniusNormSquared).orElse(0.0);
      float[] s = spectrum.map(LayerSpectrum::singularValues).orElse(new float[0]);
      double weight = weights.getOrDefault(layer.name(), 1.0);
      long cost = (long) layer.outFeatures() + layer.inFeatures();
      denseWeights += (long) layer.outFeatures() * layer.inFeatures();
      zero[l] = norm2 == 0;
      for (int i = 0; i < s.length && norm2 > 0; i++) {
        candidates.add(new Candidate(l, i, weight * s[i] * s[i] / norm2, cost));
      }
    }
    candidates.sort(
        Comparator.comparingDouble((Candidate c) -> -c.gain() / c.cost())
            .thenComparingInt(Candidate::layer)
            .thenComparingInt(Candidate::index));
    int[] ranks = new int[layers.size()];
    String why;
    if (policy instanceof RankPolicy.ParameterRatio ratio) {
      double budget = ratio.ratio() * denseWeights;
      long spent = 0;
      for (Candidate c : candidates) {
        if (ranks[c.layer()] == c.index() && spent + c.cost() <= budget) {
          ranks[c.layer()]++;
          spent += c.cost();
        }
      }
      why = String.format(Locale.ROOT, "global ratio %s", ratio.ratio());
    } else if (policy instanceof RankPolicy.EnergyThreshold energy) {
      double goal = energy.energy() * layers.size();
      double kept = 0;
      for (Candidate c : candidates) {
        if (kept >= goal * (1 - 1e-9)) {
          break;
        }
        if (ranks[c.layer()] == c.index()) {
          ranks[c.layer()]++;
          kept += c.gain() / weights.getOrDefault(layers.get(c.layer()).name(), 1.0);
        }
      }
      why = String.format(Locale.ROOT, "global energy %s", energy.energy());
    } else {
      throw new IllegalArgumentException("A global scope needs a ratio or energy policy");
    }
    Map<String, LayerPlan> plans = new LinkedHashMap<>();
    for (int l = 0; l < layers.size(); l++) {
      Layer layer = layers.get(l);
      long n = layer.outFeatures();
      long m = layer.inFeatures();
      if (zero[l]) {
        plans.put(
            layer.name(),
            LayerPlan.keep(
                layer, "its weight is all zeros (rank 0): there is nothing to factorize"));
      } else if (ranks[l] == 0) {
        plans.put(layer.name(), LayerPlan.keep(layer, why + " gave this layer no rank"));
      } else if (!RankRules.pays(ranks[l], n, m)) {
        plans.put(layer.name(), LayerPlan.keep(layer, RankRules.doesNotPay(why, ranks[l], n, m)));
      } else {
        plans.put(layer.name(), LayerPlan.rank(layer, ranks[l]));
      }
    }
    return plans;
  }
}
