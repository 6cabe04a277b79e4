package dev.lowrank.compress.internal;

import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.format.Layer;
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
 * rank needs ({@code rows + cols} of a convolution's form). Candidates are taken by gain per
 * weight, best first; since a layer's gains decrease, each layer always receives a prefix of its
 * spectrum.
 */
final class GlobalAllocation {

  private GlobalAllocation() {}

  private record Candidate(int layer, int index, double gain, long cost) {}

  /**
   * One layer sharing the budget: the matrix form it is factorized in and that matrix's spectrum.
   *
   * @param layer the layer (dense, eligible)
   * @param form the matrix its weight is truncated as
   * @param spectrum the singular values of that matrix, empty when the weight is all zeros
   */
  record Input(Layer layer, MatrixForm form, Optional<LayerSpectrum> spectrum) {}

  /**
   * Plans each layer's rank.
   *
   * @param inputs the layers sharing the budget, with their forms and spectra
   * @param policy a ratio (the factorized weights stay within this share of the layers' dense
   *     weights) or an energy (the layers' mean kept energy share reaches it)
   * @return a plan per layer name
   */
  static Map<String, LayerPlan> allocate(List<Input> inputs, RankPolicy policy) {
    return allocate(inputs, Map.of(), policy);
  }

  /**
   * Plans each layer's rank, each layer's gains multiplied by its weight (a measured sensitivity; 1
   * when absent). The spectra are those of the weights in their forms, or of the scaled weights of
   * a data-aware method (whose energy is the layer's output energy on the calibration data).
   *
   * @param inputs the layers sharing the budget, with their forms and spectra
   * @param weights per layer name, the factor of its gains (missing: 1)
   * @param policy a ratio or an energy
   * @return a plan per layer name
   */
  static Map<String, LayerPlan> allocate(
      List<Input> inputs, Map<String, Double> weights, RankPolicy policy) {
    List<Layer> layers = inputs.stream().map(Input::layer).toList();
    List<Candidate> candidates = new ArrayList<>();
    long denseWeights = 0;
    boolean[] zero = new boolean[layers.size()];
    for (int l = 0; l < layers.size(); l++) {
      Optional<LayerSpectrum> spectrum = inputs.get(l).spectrum();
      MatrixForm form = inputs.get(l).form();
      double norm2 = spectrum.map(LayerSpectrum::frobeniusNormSquared).orElse(0.0);
      float[] s = spectrum.map(LayerSpectrum::singularValues).orElse(new float[0]);
      double weight = weights.getOrDefault(layers.get(l).name(), 1.0);
      long cost = form.rankCost();
      denseWeights += form.denseWeights();
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
      MatrixForm form = inputs.get(l).form();
      long n = form.rows();
      long m = form.cols();
      if (zero[l]) {
        plans.put(
            layer.name(),
            LayerPlan.keep(
                layer, "its weight is all zeros (rank 0): there is nothing to factorize"));
      } else if (ranks[l] == 0) {
        plans.put(layer.name(), LayerPlan.keep(layer, why + " gave this layer no rank"));
      } else if (!RankRules.pays(ranks[l], n, m)) {
        plans.put(
            layer.name(),
            LayerPlan.keep(layer, RankRules.doesNotPay(why, ranks[l], n, m) + form.suffix()));
      } else {
        plans.put(layer.name(), LayerPlan.rank(layer, form, ranks[l]));
      }
    }
    return plans;
  }
}
