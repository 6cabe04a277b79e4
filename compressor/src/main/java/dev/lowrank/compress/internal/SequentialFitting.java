package dev.lowrank.compress.internal;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.DataFit;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.LayerStatus;
import dev.lowrank.compress.TruncationMethod;
import dev.lowrank.data.Tensor;
import dev.lowrank.format.ConvForm;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerInputObserver;
import dev.lowrank.format.LayerKind;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.io.InputFileException;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.GramAccumulator;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackend;
import dev.lowrank.linalg.SymmetricMatrix;
import dev.lowrank.linalg.TruncatedSvd;
import dev.lowrank.linalg.Whitening;
import dev.lowrank.linalg.internal.Blas;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Sequential fitting ({@code --sequential}): the layers in the order the model calls them, each
 * fitted on the inputs it receives once the earlier layers are compressed, to reproduce what it
 * computed in the original model.
 *
 * <p>For a layer {@code W} with inputs {@code X_o} in the original model and {@code X_c} in the
 * partly compressed one (the same samples, padding left out), {@code B A} minimizes {@code ||W X_o
 * - B A X_c||_F} over rank-{@code r} matrices (reduced-rank regression): with {@code G_c = X_c
 * X_c^T / N + delta I = C C^T} and {@code G_oc = X_o X_c^T / N}, the least-squares map is {@code M
 * = W G_oc G_c^{-1}}, and the best rank-{@code r} one keeps the leading singular vectors of {@code
 * Z = M C = W G_oc C^{-T} = U S V^T}: {@code B = U_r S_r}, {@code A = V_r^T C^{-1}}. When nothing
 * before the layer changed, {@code X_c = X_o} and this is the whitened truncation. The ridge {@code
 * delta} ({@link #RIDGE} of the mean input energy) keeps the regression from fitting noise in the
 * directions the data barely spans.
 *
 * <p>A convolution is fitted in its channel form {@code C_out x (C_in kh kw)}, {@code X} its input
 * patches (the same regression, the same exactness).
 *
 * <p>Cost: per group of layers fed the same input, two runs of the model over the calibration data
 * (original and partly compressed weights, set in place).
 */
final class SequentialFitting {

  /** The ridge of the regression, relative to the mean diagonal of {@code G_c}. */
  static final double RIDGE = 1e-4;

  private final SourceModel model;
  private final CompressionSpec spec;
  private final DataAware data;
  private final SvdBackend backend;
  private final FactorStore store;

  SequentialFitting(
      SourceModel model,
      CompressionSpec spec,
      DataAware data,
      SvdBackend backend,
      FactorStore store) {
    this.model = model;
    this.spec = spec;
    this.data = data;
    this.backend = backend;
    this.store = store;
  }

  /**
   * Fits every planned layer.
   *
   * @param plans the plans, in model order
   * @return one result per plan, in model order
   * @throws InputFileException if the model cannot be run or a weight read
   */
  List<LayerResult> fit(List<LayerPlan> plans) throws InputFileException {
    CalibrationStatistics stats = data.statistics();
    Map<String, LayerPlan> planned = new LinkedHashMap<>();
    Map<String, LayerResult> results = new HashMap<>();
    for (LayerPlan p : plans) {
      if (p.target().isPresent()) {
        planned.put(p.layer().name(), p);
      } else {
        results.put(p.layer().name(), CompressionRun.kept(p));
      }
    }
    Map<String, FloatMatrix> compressed = new LinkedHashMap<>();
    Set<String> leaders = new LinkedHashSet<>();
    stats.groups().forEach(g -> leaders.add(g.leader()));
    try (ModelRunner runner = model.runner(leaders)) {
      for (CalibrationStatistics.Group g : stats.groups()) {
        List<String> members = g.layers().stream().filter(planned::containsKey).toList();
        if (members.isEmpty()) {
          continue;
        }
        Regression reg = regression(runner, g, compressed);
        for (String name : members) {
          LayerResult r = fitLayer(planned.get(name), g, reg, compressed);
          results.put(name, r);
        }
      }
    }
    // Layers the data never reached: truncated as without data.
    for (LayerPlan p : planned.values()) {
      if (!results.containsKey(p.layer().name())) {
        results.put(p.layer().name(), plain(p));
      }
    }
    List<LayerResult> out = new ArrayList<>();
    for (LayerPlan p : plans) {
      out.add(results.get(p.layer().name()));
    }
    return out;
  }

  /** The moments of one input in the original and the partly compressed model. */
  private record Regression(
      SymmetricMatrix original, SymmetricMatrix compressed, FloatMatrix cross, Whitening factor) {}

  private Regression regression(
      ModelRunner runner, CalibrationStatistics.Group g, Map<String, FloatMatrix> compressed)
      throws InputFileException {
    String leader = g.leader();
    Layer layer =
        model.layers().stream().filter(l -> l.name().equals(leader)).findFirst().orElseThrow();
    int m = g.stats().width();
    GramAccumulator gc = new GramAccumulator(m, true);
    double[] cross = new double[m * m];
    long rows = 0;
    CalibrationBatches batches = data.statistics().batches();
    for (List<Tensor> batch : batches.batches()) {
      Optional<Tensor> mask = batches.maskOf(batch);
      runner.resetWeights();
      List<LayerRows> xo = inputs(runner, batch, layer, mask);
      List<LayerRows> xc = xo;
      if (!compressed.isEmpty()) {
        runner.setWeights(compressed);
        xc = inputs(runner, batch, layer, mask);
      }
      if (xc.size() != xo.size()) {
        throw new IllegalStateException(
            "Layer " + leader + " was called a different number of times");
      }
      for (int k = 0; k < xo.size(); k++) {
        LayerRows.addMoments(xo.get(k), xc.get(k), gc, cross);
        rows += xc.get(k).rows();
      }
    }
    runner.resetWeights();
    // cross holds sum x_o x_c^T column-major; row-major it reads as its transpose.
    float[] goc = new float[m * m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        goc[i * m + j] = (float) (cross[i + j * m] / rows);
      }
    }
    SymmetricMatrix compressedGram = gc.meanGram();
    return new Regression(
        g.stats().meanGram(),
        compressedGram,
        FloatMatrix.wrap(m, m, goc),
        Whitening.ridged(compressedGram, RIDGE));
  }

  private static List<LayerRows> inputs(
      ModelRunner runner, List<Tensor> batch, Layer layer, Optional<Tensor> mask)
      throws InputFileException {
    List<LayerRows> out = new ArrayList<>();
    runner.run(
        batch,
        new LayerInputObserver() {
          @Override
          public void observe(String name, Tensor input) {
            if (name.equals(layer.name())) {
              out.add(LayerRows.of(layer, input, mask));
            }
          }

          @Override
          public boolean observes(String name) {
            return name.equals(layer.name());
          }
        });
    return out;
  }

  private LayerResult fitLayer(
      LayerPlan plan,
      CalibrationStatistics.Group g,
      Regression reg,
      Map<String, FloatMatrix> compressed)
      throws InputFileException {
    Layer layer = plan.layer();
    FloatMatrix w = CompressionRun.readFinite(model, layer);
    double norm2 = w.frobeniusNormSquared();
    if (norm2 == 0) {
      return CompressionRun.dense(
          layer,
          "its weight is all zeros (rank 0): there is nothing to factorize",
          Optional.empty());
    }
    Whitening c = reg.factor();
    FloatMatrix target = Blas.gemm(1f, w, false, reg.cross(), false, 0f, null);
    FloatMatrix z = c.solveRightTransposed(target);
    RankTarget goal = plan.target().get();
    int k = Math.min(z.rows(), z.cols());
    if (goal instanceof RankTarget.Leading leading && leading.rank() > k) {
      goal = RankTarget.leading(k);
    }
    TruncatedSvd svd = backend.decompose(z, goal);
    int r =
        goal instanceof RankTarget.Leading leading
            ? leading.rank()
            : svd.rankForEnergy(plan.energy().orElseThrow());
    long n = layer.outFeatures();
    long m = layer.inFeatures();
    if (!RankRules.pays(r, n, m)) {
      return CompressionRun.dense(
          layer,
          RankRules.doesNotPay(spec.policyFor(layer.name()).describe(), r, n, m),
          Optional.of(svd.algorithm()));
    }
    float[] vt = new float[r * (int) m];
    System.arraycopy(svd.vt().data(), 0, vt, 0, vt.length);
    FloatMatrix a = c.solveRight(FloatMatrix.wrap(r, (int) m, vt));
    float[] b = new float[(int) n * r];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < r; j++) {
        b[i * r + j] = svd.u().get(i, j) * svd.s()[j];
      }
    }
    LowRankFactors factors = new LowRankFactors(a, FloatMatrix.wrap((int) n, r, b));
    FloatMatrix product = factors.product();
    // ||W X_o - P X_c||^2 / N = tr(W G_o W^T) - 2 tr(W G_oc P^T) + tr(P G_c P^T).
    double reference = quadratic(w, reg.original(), w);
    double crossTerm = dot(target, product);
    double fitted = quadratic(product, reg.compressed(), product);
    double residual = Math.max(0, reference - 2 * crossTerm + fitted);
    double explained = svd.energy(r);
    double error = factors.residualNorm(w) / Math.sqrt(norm2);
    compressed.put(layer.name(), product);
    store.put(layer.name(), factors);
    DataFit fit =
        new DataFit(
            TruncationMethod.WHITENED,
            Math.min(1, explained / reference),
            Math.sqrt(residual / reference),
            Math.sqrt(Math.max(0, reference - explained) / reference),
            data.statistics().sharedWith(layer.name()),
            Optional.of(c.describe()),
            true);
    return new LayerResult(
        layer,
        LayerStatus.FACTORIZED,
        OptionalInt.of(r),
        Optional.empty(),
        layer.parameters(),
        factors.parameters() + (layer.hasBias() ? n : 0),
        Math.max(0, 1 - error * error),
        error,
        Optional.of(svd.algorithm()),
        Optional.of(fit),
        formOf(layer));
  }

  /** The form a fitted layer's factors are in: a convolution's channel form, else none. */
  private static Optional<ConvForm> formOf(Layer layer) {
    return layer.kind() == LayerKind.CONV2D ? Optional.of(ConvForm.CHANNEL) : Optional.empty();
  }

  /** A layer the data did not reach: the plain truncated SVD. */
  private LayerResult plain(LayerPlan plan) throws InputFileException {
    Layer layer = plan.layer();
    FloatMatrix w = CompressionRun.readFinite(model, layer);
    double norm2 = w.frobeniusNormSquared();
    if (norm2 == 0) {
      return CompressionRun.dense(
          layer,
          "its weight is all zeros (rank 0): there is nothing to factorize",
          Optional.empty());
    }
    RankTarget goal = plan.target().get();
    TruncatedSvd svd = backend.decompose(w, goal);
    int r =
        goal instanceof RankTarget.Leading leading
            ? leading.rank()
            : svd.rankForEnergy(plan.energy().orElseThrow());
    long n = layer.outFeatures();
    long m = layer.inFeatures();
    if (!RankRules.pays(r, n, m)) {
      return CompressionRun.dense(
          layer,
          RankRules.doesNotPay(spec.policyFor(layer.name()).describe(), r, n, m),
          Optional.of(svd.algorithm()));
    }
    LowRankFactors factors = LowRankFactors.truncate(svd, r);
    store.put(layer.name(), factors);
    return new LayerResult(
        layer,
        LayerStatus.FACTORIZED,
        OptionalInt.of(r),
        Optional.empty(),
        layer.parameters(),
        factors.parameters() + (layer.hasBias() ? n : 0),
        svd.energy(r) / norm2,
        factors.residualNorm(w) / Math.sqrt(norm2),
        Optional.of(svd.algorithm()),
        Optional.empty(),
        formOf(layer));
  }

  /** {@code tr(P G Q^T)}: one float32 product, the sum in double precision. */
  private static double quadratic(FloatMatrix p, SymmetricMatrix g, FloatMatrix q) {
    int m = g.size();
    float[] gf = new float[m * m];
    double[] gd = g.data();
    for (int i = 0; i < gf.length; i++) {
      gf[i] = (float) gd[i];
    }
    FloatMatrix pg = Blas.gemm(1f, p, false, FloatMatrix.wrap(m, m, gf), false, 0f, null);
    return dot(pg, q);
  }

  private static double dot(FloatMatrix a, FloatMatrix b) {
    double s = 0;
    float[] x = a.data();
    float[] y = b.data();
    for (int i = 0; i < x.length; i++) {
      s += (double) x[i] * y[i];
    }
    return s;
  }
}
