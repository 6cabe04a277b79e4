package dev.lowrank.cli;

import dev.lowrank.cli.internal.TextTable;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.zoo.DigitsDemo;
import dev.lowrank.zoo.ExampleTrainer;
import dev.lowrank.zoo.LectureExample;
import dev.lowrank.zoo.minilm.MiniLmDemo;
import dev.lowrank.zoo.minilm.MiniLmReport;
import dev.lowrank.zoo.minilm.MiniLmSettings;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code lowrank demo}: the lecture's 10 x 10 example, then a real model on real data. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Shows what lowrank does: first the lecture's example (a 10x10 W of rank 2 becomes"
          + " B (10x2) A (2x10), 100 weights become 40, y = Wx + b unchanged), then an MLP trained"
          + " on the bundled UCI digits (trained once, then cached) compressed at several"
          + " settings, then the pretrained sentence encoder all-MiniLM-L6-v2 at half of its"
          + " encoder's weights, plain and whitened (its texts fetched once from the npm"
          + " registry)."
    })
final class DemoCommand implements Callable<Integer> {

  private static final List<RankPolicy> SETTINGS =
      List.of(
          RankPolicy.energy(0.9),
          RankPolicy.energy(0.8),
          RankPolicy.rank(32),
          RankPolicy.rank(16),
          RankPolicy.rank(8));

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    lecture(out);
    out.println();
    digits(out);
    out.println();
    out.flush();
    minilm(out);
    out.flush();
    return ExitCodes.OK;
  }

  private static void lecture(PrintWriter out) throws Exception {
    LectureExample.Result r = LectureExample.run(2024);
    out.println("1. The lecture's example: a dense layer y = Wx + b with W (10x10) of rank 2");
    out.println();
    out.println("W =");
    out.print(matrix(r.w()));
    out.println("B = U_2 S_2 (10x2) =");
    out.print(matrix(r.b()));
    out.println("A = V_2^T (2x10) =");
    out.print(matrix(r.a()));
    long dense = (long) r.w().rows() * r.w().cols();
    long factors = (long) r.b().rows() * r.b().cols() + (long) r.a().rows() * r.a().cols();
    out.printf(
        Locale.ROOT,
        "weights: W has %d, B and A have %d + %d = %d (the bias keeps its %d values)%n",
        dense,
        r.b().rows() * r.b().cols(),
        r.a().rows() * r.a().cols(),
        factors,
        r.y().length);
    out.printf(Locale.ROOT, "y  = W x + b  = %s%n", vector(r.y()));
    out.printf(Locale.ROOT, "y' = B(A x) + b = %s%n", vector(r.yLowRank()));
    out.printf(
        Locale.ROOT,
        "max |y - y'| = %.2e (float32 rounding; outputs are of size %.1f): y' equals y%n",
        r.maxDifference(),
        r.outputScale());
  }

  private static void digits(PrintWriter out) throws Exception {
    out.println("2. A real model: MLP 64-256-128-10 trained with DJL on the UCI digits");
    out.println("   (1437 training images, accuracy on the 360 test images)");
    out.println();
    List<DigitsDemo.Row> rows = DigitsDemo.run(SETTINGS);
    DigitsDemo.Row original = rows.get(0);
    TextTable table = new TextTable("setting", "ranks", "parameters", "share", "accuracy", "drop");
    for (DigitsDemo.Row row : rows) {
      String ranks =
          row.compression()
              .map(
                  c ->
                      String.join(
                          "/",
                          c.layers().stream()
                              .map(
                                  l ->
                                      l.rank().isPresent()
                                          ? Integer.toString(l.rank().getAsInt())
                                          : "dense")
                              .toList()))
              .orElse("dense/dense/dense");
      table.row(
          row.setting(),
          ranks,
          String.format(Locale.ROOT, "%,d", row.parameters()),
          String.format(Locale.ROOT, "%.1f%%", 100.0 * row.parameters() / original.parameters()),
          String.format(Locale.ROOT, "%.2f%%", 100 * row.accuracy()),
          String.format(Locale.ROOT, "%+.2f", 100 * (original.accuracy() - row.accuracy())));
    }
    out.print(table);
    out.println();
    out.println(
        "whitened: the same ranks (the same weights), truncated where the layer's output on 512"
            + " training images loses least (SVD of W C, C C^T the Gram matrix of the inputs;"
            + " --calibration).");
    out.println("drop: percentage points of test accuracy lost. Next: lowrank inspect / compress");
  }

  private static void minilm(PrintWriter out) throws Exception {
    MiniLmSettings s = MiniLmDemo.SETTINGS;
    out.println(
        "3. A real pretrained model: all-MiniLM-L6-v2 (sentence encoder, ONNX from Maven Central)"
            + " at half of its encoder's linear weights");
    out.printf(
        Locale.ROOT,
        "   (plain SVD, and whitened at the same ranks calibrated on %d SpamAssassin e-mails;"
            + " measured on %d retrieval pairs and %d spam/ham texts of the disjoint test part)%n",
        s.calibrationTexts(),
        s.pairs(),
        s.testTexts());
    out.println();
    out.flush();
    MiniLmReport report;
    long start = System.nanoTime();
    try {
      report = MiniLmDemo.run(ExampleTrainer.cacheRoot());
    } catch (java.io.IOException e) {
      // The texts come from the npm registry (once, then cached): without it, say so and stop.
      out.println("   skipped: " + e.getMessage());
      return;
    }
    out.print(
        MiniLmText.table(
            report,
            List.of(
                "method",
                "encoder linear",
                "file",
                "recall@1",
                "recall@10",
                "MRR",
                "spam/ham acc.",
                "cosine mean",
                "latency b=1 (p50)")));
    out.println();
    out.println(
        "cosine: each text's embedding against the original's. whitened keeps the same weights"
            + " but truncates where the layers' outputs on the calibration texts lose least.");
    out.println(
        "latency: through DJL's OnnxRuntime engine, original -> compressed, interleaved. The whole"
            + " table (shares 0.5 and 0.3, global, sensitivity, sequential): lowrank zoo run"
            + " minilm");
    out.printf(
        Locale.ROOT,
        "(compressed twice, %d texts embedded by each model, in %.0f s)%n",
        s.pairs() * 2 + s.testTexts(),
        (System.nanoTime() - start) / 1e9);
  }

  private static String matrix(FloatMatrix m) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < m.rows(); i++) {
      sb.append("  ");
      for (int j = 0; j < m.cols(); j++) {
        sb.append(String.format(Locale.ROOT, "%6.2f", m.get(i, j)));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static String vector(float[] v) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) {
      sb.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.3f", v[i]));
    }
    return sb.append(']').toString();
  }
}
