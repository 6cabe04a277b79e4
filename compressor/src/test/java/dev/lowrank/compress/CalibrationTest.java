package dev.lowrank.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import dev.lowrank.data.DataFileException;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.data.Tensor;
import dev.lowrank.datasets.Digits;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerInputObserver;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.io.Fingerprint;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.SvdMethod;
import dev.lowrank.runtime.LowRankLinear;
import dev.lowrank.runtime.blocks.LinearSites;
import dev.lowrank.testing.DjlFixtures;
import dev.lowrank.testing.TestBlocks.Variant;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-aware compression through the public API, on models trained on the digits and calibrated on
 * the digits training split: the whitened factors reach the data-weighted optimum the report
 * states, checked against inputs captured independently and a double-precision sum; layers fed the
 * same tensor share one statistic; sequential fitting lowers the model's output error; the manifest
 * records the calibration; bad calibration data is refused and nothing is written.
 */
class CalibrationTest {

  private static final Dataset CALIBRATION = Digits.train().select(range(0, 400));

  @TempDir Path tmp;

  private static int[] range(int from, int to) {
    int[] r = new int[to - from];
    for (int i = 0; i < r.length; i++) {
      r[i] = from + i;
    }
    return r;
  }

  private static Calibration calibration() {
    return Calibration.builder().setData(CALIBRATION).optSamples(400).build();
  }

  private static CompressionSpec.Builder spec(RankPolicy policy) {
    return CompressionSpec.builder().setPolicy(policy).optSvd(SvdMethod.EXACT);
  }

  private static Criteria<NDList, NDList> criteria(Path dir) {
    return Criteria.builder()
        .setTypes(NDList.class, NDList.class)
        .optModelPath(dir)
        .optTranslator(new NoopTranslator())
        .build();
  }

  /** The inputs of every layer on the calibration data, one row per sample. */
  private static Map<String, float[]> captured(Path model) throws Exception {
    Map<String, List<float[]>> parts = new HashMap<>();
    try (SourceModel m = ModelFormats.open(model)) {
      Set<String> names = new java.util.LinkedHashSet<>();
      m.layers().forEach(l -> names.add(l.name()));
      try (ModelRunner r = m.runner(names)) {
        r.run(
            CALIBRATION.batch(0, CALIBRATION.size(), SampleShape.flat(64)),
            (layer, x) -> parts.computeIfAbsent(layer, k -> new ArrayList<>()).add(x.floats()));
      }
    }
    Map<String, float[]> out = new HashMap<>();
    parts.forEach((k, v) -> out.put(k, v.get(0)));
    return out;
  }

  /** ||(W - BA) X||_F / ||W X||_F in double, X the captured rows. */
  private static double dataError(FloatMatrix w, FloatMatrix ba, float[] rows) {
    int m = w.cols();
    int n = w.rows();
    int samples = rows.length / m;
    double err = 0;
    double total = 0;
    for (int s = 0; s < samples; s++) {
      for (int i = 0; i < n; i++) {
        double y = 0;
        double e = 0;
        for (int j = 0; j < m; j++) {
          double x = rows[s * m + j];
          y += w.get(i, j) * x;
          e += (w.get(i, j) - ba.get(i, j)) * x;
        }
        total += y * y;
        err += e * e;
      }
    }
    return Math.sqrt(err / total);
  }

  @Test
  void whitenedFactorsReachTheDataOptimumTheReportStates() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    Map<String, float[]> inputs = captured(input);
    Map<String, FloatMatrix> weights = new HashMap<>();
    try (SourceModel m = ModelFormats.open(input)) {
      for (Layer l : m.layers()) {
        weights.put(l.name(), m.readWeight(l));
      }
    }
    CompressionResult plain =
        Compressor.compress(
            input,
            tmp.resolve("plain"),
            spec(RankPolicy.rank(6))
                .optCalibration(calibration())
                .optMethod(TruncationMethod.PLAIN)
                .build());
    try (ZooModel<NDList, NDList> model = criteria(input).loadModel()) {
      CompressionResult result =
          Compressor.compress(
              model, spec(RankPolicy.rank(6)).optCalibration(calibration()).build());
      assertEquals(6, result.factorizedLayers().size());
      for (LayerResult l : result.factorizedLayers()) {
        DataFit fit = l.data().orElseThrow();
        assertEquals(TruncationMethod.WHITENED, fit.method());
        assertEquals(fit.dataOptimum(), fit.dataError(), 1e-4, l.name() + ": at the optimum");
        LowRankLinear low = (LowRankLinear) LinearSites.named(model.getBlock(), l.name()).block();
        FloatMatrix a =
            FloatMatrix.wrap(
                6,
                l.layer().inFeatures(),
                low.getParameters().get("lowrank_a").getArray().toFloatArray());
        FloatMatrix b =
            FloatMatrix.wrap(
                l.layer().outFeatures(),
                6,
                low.getParameters().get("lowrank_b").getArray().toFloatArray());
        double independent = dataError(weights.get(l.name()), b.times(a), inputs.get(l.name()));
        assertEquals(
            independent, fit.dataError(), 1e-4, l.name() + ": the reported data error is measured");
        DataFit plainFit = plain.layer(l.name()).orElseThrow().data().orElseThrow();
        assertTrue(
            fit.dataError() <= plainFit.dataError() + 1e-6,
            l.name() + ": whitened " + fit.dataError() + " vs plain " + plainFit.dataError());
        assertTrue(
            l.relativeError() >= plain.layer(l.name()).orElseThrow().relativeError() - 1e-6,
            l.name() + ": plain is the weight-error optimum");
      }
    }
  }

  @Test
  void layersFedTheSameTensorShareOneStatistic() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    CompressionResult result =
        Compressor.compress(
            input,
            tmp.resolve("shared"),
            spec(RankPolicy.rank(6)).optCalibration(calibration()).build());
    List<List<String>> shared = result.calibration().orElseThrow().sharedInputs();
    assertEquals(1, shared.size(), "the parallel block's two heads: " + shared);
    List<String> group = shared.get(0);
    assertEquals(2, group.size());
    assertTrue(group.stream().allMatch(n -> n.contains("ParallelBlock")), group.toString());
    assertEquals(
        group.get(0),
        result.layer(group.get(1)).orElseThrow().data().orElseThrow().sharedWith().orElseThrow());
    assertTrue(
        result.layer(group.get(0)).orElseThrow().data().orElseThrow().sharedWith().isEmpty());
    // Sharing changes nothing in the figures: both heads are at their own optimum.
    for (String name : group) {
      DataFit fit = result.layer(name).orElseThrow().data().orElseThrow();
      assertEquals(fit.dataOptimum(), fit.dataError(), 1e-4);
    }
  }

  @Test
  void sequentialFittingLowersTheOutputError() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    Dataset data = CALIBRATION;
    float[] original = outputs(input, data);
    Path whitened = tmp.resolve("whitened");
    Path sequential = tmp.resolve("sequential");
    CompressionSpec.Builder base = spec(RankPolicy.rank(3)).optCalibration(calibration());
    Compressor.compress(input, whitened, base.build());
    CompressionResult seq =
        Compressor.compress(input, sequential, base.optSequential(true).build());
    assertTrue(seq.factorizedLayers().stream().allMatch(l -> l.data().orElseThrow().sequential()));
    double plainError = relative(outputs(whitened, data), original);
    double seqError = relative(outputs(sequential, data), original);
    assertTrue(
        seqError < plainError,
        "sequential " + seqError + " must beat layer-by-layer whitened " + plainError);
  }

  private static float[] outputs(Path model, Dataset data) throws Exception {
    try (SourceModel m = ModelFormats.open(model);
        ModelRunner r = m.runner(Set.of())) {
      return r.run(data.batch(0, data.size(), SampleShape.flat(64)), LayerInputObserver.NONE)
          .get(0)
          .floats();
    }
  }

  private static double relative(float[] a, float[] b) {
    double e = 0;
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      e += (a[i] - b[i]) * (double) (a[i] - b[i]);
      s += (double) b[i] * b[i];
    }
    return Math.sqrt(e / s);
  }

  @Test
  void manifestRecordsTheCalibrationFile() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    Path csv = tmp.resolve("calib.csv");
    StringBuilder sb = new StringBuilder();
    for (int j = 0; j < 64; j++) {
      sb.append(j == 0 ? "" : ",").append("p").append(j);
    }
    sb.append('\n');
    for (int i = 0; i < 50; i++) {
      float[] f = CALIBRATION.features(i);
      for (int j = 0; j < 64; j++) {
        sb.append(j == 0 ? "" : ",").append(f[j]);
      }
      sb.append('\n');
    }
    Files.writeString(csv, sb);
    Calibration c =
        Calibration.builder()
            .setData(
                DataSource.file(csv, dev.lowrank.data.DataOptions.builder().optUnlabeled().build()))
            .build();
    Path out = tmp.resolve("recorded");
    CompressionResult result =
        Compressor.compress(input, out, spec(RankPolicy.ratio(0.3)).optCalibration(c).build());
    CalibrationSummary s = result.calibration().orElseThrow();
    assertEquals("calib.csv", s.source());
    assertEquals(Fingerprint.sha256(csv), s.sha256().orElseThrow());
    assertEquals(50, s.samples());
    assertEquals(50, s.tokens(), "one position per sample for an MLP");
    assertEquals("whitened", result.settings().get("method"));
    CompressionResult back = Compressor.manifest(out).orElseThrow();
    assertEquals(result, back, "the manifest reads back whole");
    String json = result.toJson();
    assertTrue(json.contains("\"optimalError\""), json);
  }

  @Test
  void badCalibrationDataIsRefusedAndNothingIsWritten() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    Path out = tmp.resolve("never");
    float[] nan = CALIBRATION.features(0);
    nan[3] = Float.NaN;
    Dataset withNan = Dataset.builder().setName("nan.csv").setFeatures(nan, 64).build();
    Dataset wrongShape =
        Dataset.builder().setName("short.csv").setFeatures(new float[63 * 2], 63).build();
    List<List<Tensor>> wrongNames =
        List.of(
            List.of(
                Tensor.ofFloats("x", new long[] {1, 64}, new float[64]),
                Tensor.ofLongs("attention_mask", new long[] {1, 64}, new long[64])));
    for (Calibration bad :
        List.of(
            Calibration.builder().setData(withNan).build(),
            Calibration.builder().setData(wrongShape).build(),
            Calibration.builder().setBatches(wrongNames).build(),
            Calibration.builder().setData(CALIBRATION).optMask("mask").build())) {
      DataFileException e =
          assertThrows(
              DataFileException.class,
              () ->
                  Compressor.compress(
                      input, out, spec(RankPolicy.rank(4)).optCalibration(bad).build()),
              bad.toString());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
      assertFalse(Files.exists(out), "nothing is written for " + bad);
    }
  }

  @Test
  void energyWithCalibrationKeepsThatShareOfTheOutputEnergy() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    CompressionResult r =
        Compressor.compress(
            input,
            tmp.resolve("energy"),
            spec(RankPolicy.energy(0.95)).optCalibration(calibration()).build());
    for (LayerResult l : r.factorizedLayers()) {
      DataFit fit = l.data().orElseThrow();
      assertTrue(fit.dataEnergyKept() >= 0.95 - 1e-6, l.name() + ": " + fit.dataEnergyKept());
      // The smallest such rank: one less would keep less than 95% (1 - error^2 at rank r - 1
      // is the energy of the first r - 1 singular values).
      assertTrue(
          fit.dataError() * fit.dataError() <= 0.05 + 1e-6, l.name() + ": " + fit.dataError());
      assertTrue(l.energyKept() < fit.dataEnergyKept(), "the weight keeps less: " + l.name());
    }
  }

  @Test
  void activationAwareTruncationScalesByTheMeanInputs() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    CompressionResult plain =
        Compressor.compress(
            input,
            tmp.resolve("p"),
            spec(RankPolicy.rank(6))
                .optCalibration(calibration())
                .optMethod(TruncationMethod.PLAIN)
                .build());
    CompressionResult activation =
        Compressor.compress(
            input,
            tmp.resolve("a"),
            spec(RankPolicy.rank(6))
                .optCalibration(calibration())
                .optMethod(TruncationMethod.ACTIVATION)
                .optAlpha(0.5)
                .build());
    assertEquals("0.5", activation.settings().get("alpha"));
    for (LayerResult l : activation.factorizedLayers()) {
      DataFit fit = l.data().orElseThrow();
      assertEquals(TruncationMethod.ACTIVATION, fit.method());
      LayerResult p = plain.layer(l.name()).orElseThrow();
      assertTrue(l.relativeError() >= p.relativeError() - 1e-6, "plain is the weight optimum");
      assertTrue(fit.dataError() >= fit.dataOptimum() - 1e-6, "whitened is the data optimum");
    }
  }

  @Test
  void dataAwareMethodsNeedCalibration() {
    assertThrows(
        IllegalArgumentException.class,
        () -> spec(RankPolicy.rank(4)).optMethod(TruncationMethod.WHITENED).build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            spec(RankPolicy.ratio(0.5))
                .optCalibration(calibration())
                .optAllocation(Allocation.SENSITIVITY)
                .build(),
        "sensitivity spreads a global budget");
    assertEquals(
        TruncationMethod.WHITENED,
        spec(RankPolicy.rank(4)).optCalibration(calibration()).build().method());
    assertEquals(TruncationMethod.PLAIN, spec(RankPolicy.rank(4)).build().method());
  }

  @Test
  void globalBudgetsFromDataStayWithinTheBudget() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    long dense = 0;
    try (SourceModel m = ModelFormats.open(input)) {
      for (Layer l : m.layers()) {
        dense += (long) l.outFeatures() * l.inFeatures();
      }
    }
    for (Allocation allocation : Allocation.values()) {
      CompressionResult r =
          Compressor.compress(
              input,
              tmp.resolve("global-" + allocation),
              spec(RankPolicy.ratio(0.3))
                  .optScope(Scope.GLOBAL)
                  .optAllocation(allocation)
                  .optCalibration(calibration())
                  .build());
      long spent = 0;
      for (LayerResult l : r.factorizedLayers()) {
        spent += (long) l.rank().getAsInt() * (l.layer().outFeatures() + l.layer().inFeatures());
      }
      assertTrue(spent <= 0.3 * dense, allocation + ": " + spent + " of " + dense);
      assertEquals(allocation.cliName(), r.settings().get("allocation"));
      assertTrue(r.factorizedLayers().size() >= 4, allocation + " factorizes most layers");
    }
  }
}
