package dev.lowrank.bench;

import dev.lowrank.data.Tensor;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerInputObserver;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.FloatMatrix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Measures what the ONNX runner's {@code setWeights} costs (README, "ONNX files"): the time to open
 * a runner, to run one batch, to replace every layer's weight the first time (the session is
 * rebuilt once with the weights as fed inputs) and again, and to run a batch with the weights fed.
 *
 * <p>Arguments: {@code MODEL.onnx [--batch 8] [--seq 32] [--runs 20]}. Inputs: int64 token ids
 * (random, below 1000), an all-ones attention mask and zero token types for a text encoder (inputs
 * named {@code input_ids}, {@code attention_mask}, {@code token_type_ids}), float32 values of shape
 * {@code [batch, seq]} for any other input.
 */
public final class OnnxRunnerCost {

  private OnnxRunnerCost() {}

  /**
   * Runs the measurement and prints one line per step.
   *
   * @param args the model and options
   * @throws Exception if the model cannot be run
   */
  public static void main(String[] args) throws Exception {
    Path model = Path.of(args[0]);
    int batch = 8;
    int seq = 32;
    int runs = 20;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--seq" -> seq = Integer.parseInt(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
      }
    }
    try (SourceModel m = ModelFormats.open(model)) {
      Map<String, FloatMatrix> weights = new LinkedHashMap<>();
      for (Layer l : m.layers()) {
        if (l.factorizable()) {
          weights.put(l.name(), m.readWeight(l));
        }
      }
      long t0 = System.nanoTime();
      try (ModelRunner r = m.runner(Set.of())) {
        double open = ms(t0);
        List<Tensor> inputs = inputs(r.inputNames(), batch, seq);
        double plain = median(r, inputs, runs);
        long t1 = System.nanoTime();
        r.setWeights(weights);
        double first = ms(t1);
        double fed = median(r, inputs, runs);
        long t2 = System.nanoTime();
        r.setWeights(weights);
        double again = ms(t2);
        System.out.printf(
            Locale.ROOT,
            "%s, batch %d x %d, %d layers: open %.0f ms, run %.1f ms; first setWeights %.0f ms,"
                + " setWeights %.0f ms, run with fed weights %.1f ms (%.2fx)%n",
            model.getFileName(),
            batch,
            seq,
            weights.size(),
            open,
            plain,
            first,
            again,
            fed,
            fed / plain);
      }
    }
  }

  private static List<Tensor> inputs(List<String> names, int batch, int seq) {
    Random rnd = new Random(7);
    long[] shape = {batch, seq};
    List<Tensor> out = new ArrayList<>();
    for (String n : names) {
      long[] v = new long[batch * seq];
      switch (n) {
        case "input_ids" -> Arrays.setAll(v, i -> i % seq == 0 ? 101 : 1000 + rnd.nextInt(20000));
        case "attention_mask" -> Arrays.fill(v, 1);
        case "token_type_ids" -> Arrays.fill(v, 0);
        default -> {
          float[] f = new float[batch * seq];
          for (int i = 0; i < f.length; i++) {
            f[i] = rnd.nextFloat();
          }
          out.add(Tensor.ofFloats(n, shape, f));
          continue;
        }
      }
      out.add(Tensor.ofLongs(n, shape, v));
    }
    return out;
  }

  private static double median(ModelRunner r, List<Tensor> inputs, int runs) throws Exception {
    r.run(inputs, LayerInputObserver.NONE);
    double[] t = new double[runs];
    for (int i = 0; i < runs; i++) {
      long s = System.nanoTime();
      r.run(inputs, LayerInputObserver.NONE);
      t[i] = ms(s);
    }
    Arrays.sort(t);
    return t[runs / 2];
  }

  private static double ms(long start) {
    return (System.nanoTime() - start) / 1e6;
  }
}
