package dev.lowrank.eval.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.Scope;
import dev.lowrank.datasets.Digits;
import dev.lowrank.eval.testing.DigitsFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The search with calibration: one global budget searched over ratios (spread by the whitened
 * spectra), and the criterion of output fidelity for data without labels.
 */
class CalibratedSearchTest {

  @TempDir Path tmp;

  private static final Calibration CALIBRATION =
      Calibration.builder().setData(Digits.train().withoutLabels()).optSamples(300).build();

  @Test
  void searchesTheGlobalBudgetUntilTheFidelityHolds() throws Exception {
    Path out = tmp.resolve("chosen");
    SearchResult r =
        SmallestModelSearch.builder()
            .setModel(DigitsFixtures.mlp())
            .setData(DigitsFixtures.digitsTest().withoutLabels())
            .setMinFidelity(0.99, FidelityMetric.COSINE)
            .optSpecs(
                p -> CompressionSpec.builder().setPolicy(p).optCalibration(CALIBRATION).build())
            .optGlobalBudget()
            .optOutput(out)
            .build()
            .run();
    SweepPoint chosen = r.chosen().orElseThrow();
    assertTrue(chosen.meanCosine() >= 0.99, r.summary());
    assertTrue(chosen.policy() instanceof RankPolicy.ParameterRatio, chosen.setting());
    assertEquals("global", chosen.compression().settings().get("scope"));
    assertEquals("whitened", chosen.compression().settings().get("method"));
    assertTrue(r.summary().contains("cosine"), r.summary());
    for (SweepPoint p : r.evaluated().points()) {
      if (p.parameters() < chosen.parameters()) {
        assertTrue(p.meanCosine() < 0.99, "a smaller model that passes would have been chosen");
      }
    }
    assertTrue(Files.exists(out));
  }

  @Test
  void topOneAgreementIsTheOtherFidelity() throws Exception {
    SearchResult r =
        SmallestModelSearch.builder()
            .setModel(DigitsFixtures.mlp())
            .setData(DigitsFixtures.digitsTest().withoutLabels())
            .setMinFidelity(0.95, FidelityMetric.TOP1)
            .optSpecs(
                p ->
                    CompressionSpec.builder()
                        .setPolicy(p)
                        .optScope(Scope.GLOBAL)
                        .optCalibration(CALIBRATION)
                        .build())
            .optCandidates(java.util.List.of(RankPolicy.ratio(0.2), RankPolicy.ratio(0.6)))
            .build()
            .run();
    SweepPoint chosen = r.chosen().orElseThrow();
    assertTrue(chosen.fidelity().top1Agreement() >= 0.95, r.summary());
  }

  @Test
  void aSearchHasOneCriterion() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            SmallestModelSearch.builder()
                .setModel(DigitsFixtures.mlp())
                .setData(DigitsFixtures.digitsTest())
                .setMaxAccuracyDrop(0.01)
                .setMinFidelity(0.99, FidelityMetric.COSINE)
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () -> new SearchCriterion.MinFidelity(1.5, FidelityMetric.COSINE));
  }
}
