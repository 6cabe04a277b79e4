package dev.lowrank.bench;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.RandomizedSettings;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.linalg.TestMatrices;
import dev.lowrank.linalg.TruncatedSvd;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The measurement behind the randomized SVD's defaults: for settings {@code oversampling/passes}
 * (and {@code qr} for Householder QR between passes instead of LU), the worst rank-r error over the
 * Eckart-Young optimum on trained-like matrices, over three seeds, and the summed median time on
 * the rank-128 shapes. Run with OpenBLAS on one thread, wall-clock.
 *
 * <p>Arguments: {@code [--settings 10/6/qr,32/7,...] [--energy-only]}.
 */
public final class RandomizedTuning {

  /** Shapes and ranks: rows, columns, rank. */
  private static final int[][] CASES = {
    {768, 768, 128},
    {768, 3072, 128},
    {3072, 768, 128},
    {2048, 2048, 128},
    {64, 64, 8},
    {256, 128, 16},
    {1024, 512, 32},
    {512, 1024, 32},
    {128, 1024, 8},
    {1024, 1024, 16}
  };

  private RandomizedTuning() {}

  /**
   * Runs the measurement and prints one line per setting.
   *
   * @param args the options
   */
  public static void main(String[] args) {
    String settings = "10/6/qr,10/6,10/8,20/7,32/6,24/7,32/7,20/8,48/6,64/6,32/7/qr";
    boolean energyOnly = false;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--settings")) {
        settings = args[++i];
      } else if (args[i].equals("--energy-only")) {
        energyOnly = true;
      } else {
        throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
      }
    }
    int previous = SvdBackends.blasThreads();
    SvdBackends.setBlasThreads(1);
    try {
      if (energyOnly) {
        energySweep();
        return;
      }
      List<FloatMatrix> matrices = new ArrayList<>();
      for (int seed = 0; seed < 3; seed++) {
        for (int[] c : CASES) {
          matrices.add(TestMatrices.trainedLike(c[0], c[1], 100L * seed + c[0] + c[1]));
        }
      }
      System.out.printf(
          Locale.ROOT, "%-10s %12s %14s %s%n", "setting", "worst ratio", "rank-128 s", "per case");
      for (String setting : settings.split(",")) {
        row(setting, matrices);
      }
      System.out.println();
      energySweep();
    } finally {
      SvdBackends.setBlasThreads(previous);
    }
  }

  private static void energySweep() {
    int[][] shapes = {{768, 768}, {768, 3072}, {3072, 768}, {256, 512}, {512, 128}, {1024, 1024}};
    double[] fractions = {0.5, 0.7, 0.8, 0.9, 0.95};
    List<FloatMatrix> matrices = new ArrayList<>();
    List<TruncatedSvd> references = new ArrayList<>();
    for (int[] shape : shapes) {
      for (double decay : new double[] {0.7, 1.0}) {
        float[] spectrum = TestMatrices.powerLawSpectrum(Math.min(shape[0], shape[1]), decay);
        FloatMatrix w = TestMatrices.withSpectrum(shape[0], shape[1], spectrum, 11);
        matrices.add(w);
        references.add(SvdBackends.exact().decompose(w, RankTarget.leading(1)));
      }
    }
    for (int iterations = 1; iterations <= 3; iterations++) {
      SvdBackend backend =
          SvdBackends.randomized(
              1,
              new RandomizedSettings(32, 7, 32, iterations, 0.5, true, Double.POSITIVE_INFINITY));
      List<String> differences = new ArrayList<>();
      int cases = 0;
      for (int i = 0; i < matrices.size(); i++) {
        for (double fraction : fractions) {
          cases++;
          int exact = references.get(i).rankForEnergy(fraction);
          int chosen =
              backend
                  .decompose(matrices.get(i), RankTarget.energy(fraction))
                  .rankForEnergy(fraction);
          if (chosen != exact) {
            int[] shape = shapes[i / 2];
            differences.add(
                String.format(
                    Locale.ROOT,
                    "%dx%d/%.1f/%.2f:%d%+d",
                    shape[0],
                    shape[1],
                    i % 2 == 0 ? 0.7 : 1.0,
                    fraction,
                    exact,
                    chosen - exact));
          }
        }
      }
      System.out.printf(
          Locale.ROOT,
          "energy, %d power iterations per block: %d of %d ranks differ from exact %s%n",
          iterations,
          differences.size(),
          cases,
          differences);
    }
  }

  private static void row(String setting, List<FloatMatrix> matrices) {
    String[] parts = setting.split("/");
    RandomizedSettings tuning =
        new RandomizedSettings(
            Integer.parseInt(parts[0]),
            Integer.parseInt(parts[1]),
            32,
            3,
            0.5,
            !(parts.length > 2 && parts[2].equals("qr")),
            Double.POSITIVE_INFINITY);
    double worst = 0;
    double seconds = 0;
    double[] perCase = new double[CASES.length];
    for (int i = 0; i < matrices.size(); i++) {
      int[] c = CASES[i % CASES.length];
      FloatMatrix w = matrices.get(i);
      SvdBackend backend = SvdBackends.randomized(i, tuning);
      RankTarget target = RankTarget.leading(c[2]);
      float[] spectrum =
          TestMatrices.powerLawSpectrum(Math.min(c[0], c[1]), TestMatrices.TRAINED_LIKE_DECAY);
      double ratio =
          LowRankFactors.truncate(backend.decompose(w, target), c[2]).residualNorm(w)
              / TestMatrices.optimalError(spectrum, c[2]);
      worst = Math.max(worst, ratio);
      perCase[i % CASES.length] = Math.max(perCase[i % CASES.length], ratio);
      if (i < CASES.length && c[2] == 128) {
        seconds += Timing.medianSeconds(() -> backend.decompose(w, target), 5);
      }
    }
    StringBuilder cases = new StringBuilder();
    for (double ratio : perCase) {
      cases.append(String.format(Locale.ROOT, " %.4f", ratio));
    }
    System.out.printf(Locale.ROOT, "%-10s %12.5f %14.4f%s%n", setting, worst, seconds, cases);
  }
}
