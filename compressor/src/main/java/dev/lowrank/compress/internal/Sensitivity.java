package dev.lowrank.compress.internal;

import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.compress.TruncationMethod;
import dev.lowrank.data.Tensor;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerInputObserver;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.io.InputFileException;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.TruncatedSvd;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Measures how the model's output reacts to truncating each layer alone: the weights for {@link
 * dev.lowrank.compress.Allocation#SENSITIVITY}.
 *
 * <p>For each layer, at {@link #PROBE_SHARES} of the largest rank that saves weights, the layer's
 * {@code W} is replaced in place by its truncation {@code B A} (from one SVD of the scaled matrix
 * at the largest probe rank; the smaller ranks are its prefixes), and the model is run on the first
 * {@link Calibration#sensitivitySamples()} calibration samples. The output error {@code ||Y' -
 * Y||_F^2 / ||Y||_F^2} (padding positions left out, as in the statistics) is divided by the layer's
 * own relative output error at that rank, {@code sum_{i>r} s_i^2 / sum s_i^2} of its spectrum; the
 * geometric mean over the probes is the layer's weight. A layer whose errors pass through to the
 * output undamped weighs more than one whose errors the rest of the model absorbs, and the budget
 * goes where it saves the most model output error per weight.
 *
 * <p>Cost: two model runs on the bounded sample per layer, no SVD beyond one per layer.
 */
final class Sensitivity {

  /** The probe ranks as shares of the largest rank that saves weights. */
  static final double[] PROBE_SHARES = {0.25, 0.5};

  /** Weights are kept above this share of the largest, so that no layer is ignored entirely. */
  static final double FLOOR = 1e-3;

  private Sensitivity() {}

  /**
   * Measures the weights.
   *
   * @param model the model
   * @param data the calibration statistics and method
   * @param layers the layers sharing the budget
   * @param spectra the spectra the budget is spread by (of the scaled matrices)
   * @param backend the SVD backend
   * @param calibration the calibration settings (the sample cap)
   * @return per layer name, the weight of its gains
   * @throws InputFileException if the model cannot be run or a weight read
   */
  static Map<String, Double> measure(
      SourceModel model,
      DataAware data,
      List<Layer> layers,
      Map<String, Optional<LayerSpectrum>> spectra,
      SvdBackend backend,
      Calibration calibration)
      throws InputFileException {
    CalibrationBatches batches = data.statistics().batches();
    List<List<Tensor>> sample = batches.first(calibration.sensitivitySamples());
    Map<String, Double> weights = new LinkedHashMap<>();
    try (ModelRunner runner = model.runner(Set.of())) {
      List<float[]> reference = new ArrayList<>();
      double energy = 0;
      for (List<Tensor> batch : sample) {
        float[] y = output(runner, batch, batches);
        reference.add(y);
        energy += squaredNorm(y);
      }
      for (Layer layer : layers) {
        Optional<LayerSpectrum> spectrum = spectra.getOrDefault(layer.name(), Optional.empty());
        if (spectrum.isEmpty() || energy == 0 || !runner.replaces(layer.name())) {
          continue;
        }
        weights.put(
            layer.name(),
            weight(
                runner,
                model,
                data,
                layer,
                spectrum.get(),
                backend,
                sample,
                reference,
                energy,
                batches));
      }
    }
    double largest = weights.values().stream().mapToDouble(Double::doubleValue).max().orElse(1);
    Map<String, Double> floored = new LinkedHashMap<>();
    for (Layer layer : layers) {
      double w = weights.getOrDefault(layer.name(), largest);
      floored.put(layer.name(), Math.max(w, FLOOR * largest));
    }
    return floored;
  }

  private static double weight(
      ModelRunner runner,
      SourceModel model,
      DataAware data,
      Layer layer,
      LayerSpectrum spectrum,
      SvdBackend backend,
      List<List<Tensor>> sample,
      List<float[]> reference,
      double energy,
      CalibrationBatches batches)
      throws InputFileException {
    long n = layer.outFeatures();
    long m = layer.inFeatures();
    int paying = (int) Math.max(1, (n * m - 1) / (n + m));
    float[] s = spectrum.singularValues();
    TreeSet<Integer> ranks = new TreeSet<>();
    for (double share : PROBE_SHARES) {
      ranks.add((int) Math.max(1, Math.min(s.length, Math.round(share * paying))));
    }
    FloatMatrix w = CompressionRun.readFinite(model, layer);
    data.expect(layer.name());
    double logSum = 0;
    int probes = 0;
    try {
      Optional<DataAware.Prepared> p = data.prepare(layer, w);
      FloatMatrix scaled =
          p.isEmpty() || data.method() == TruncationMethod.PLAIN ? w : p.get().scaled();
      int top = Math.min(ranks.last(), Math.min(scaled.rows(), scaled.cols()));
      TruncatedSvd svd = backend.decompose(scaled, RankTarget.leading(top));
      for (int r : ranks) {
        if (r > svd.size()) {
          continue;
        }
        double own =
            DataAware.tail(s, r, spectrum.frobeniusNormSquared()) / spectrum.frobeniusNormSquared();
        if (!(own > 0)) {
          continue;
        }
        LowRankFactors f =
            scaled == w ? LowRankFactors.truncate(svd, r) : LowRankFactors.projected(svd, w, r);
        runner.setWeights(Map.of(layer.name(), f.product()));
        double err = 0;
        for (int b = 0; b < sample.size(); b++) {
          float[] y = output(runner, sample.get(b), batches);
          float[] y0 = reference.get(b);
          for (int i = 0; i < y.length; i++) {
            double d = (double) y[i] - y0[i];
            err += d * d;
          }
        }
        runner.resetWeights();
        double ratio = (err / energy) / own;
        logSum += Math.log(Math.max(ratio, 1e-30));
        probes++;
      }
    } finally {
      runner.resetWeights();
      data.done(layer);
    }
    return probes == 0 ? 1 : Math.exp(logSum / probes);
  }

  /** The model's first output on a batch, padding positions left out. */
  private static float[] output(ModelRunner runner, List<Tensor> batch, CalibrationBatches batches)
      throws InputFileException {
    Tensor y = runner.run(batch, LayerInputObserver.NONE).get(0);
    int width = y.dimensions() == 0 ? 1 : (int) y.dim(y.dimensions() - 1);
    return CalibrationCapture.rows(y, batches.maskOf(batch), Math.max(1, width));
  }

  private static double squaredNorm(float[] y) {
    double s = 0;
    for (float v : y) {
      s += (double) v * v;
    }
    return s;
  }
}
