package dev.lowrank.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.testing.DjlFixtures;
import dev.lowrank.testing.TestBlocks.Variant;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rank policies, scopes and rules on a real model trained on digits. */
class RankPoliciesTest {

  private static final Path MODEL = DjlFixtures.trained(Variant.NESTED);

  @TempDir Path tmp;

  private CompressionResult compress(CompressionSpec spec) throws Exception {
    return Compressor.compress(MODEL, tmp.resolve("out-" + System.nanoTime()), spec);
  }

  private static Map<String, float[]> spectra() throws Exception {
    return Compressor.inspect(MODEL).layers().stream()
        .collect(Collectors.toMap(l -> l.layer().name(), LayerSummary::singularValues));
  }

  private static double share(float[] s, int r) {
    double kept = 0;
    double total = 0;
    for (int i = 0; i < s.length; i++) {
      total += (double) s[i] * s[i];
      kept += i < r ? (double) s[i] * s[i] : 0;
    }
    return kept / total;
  }

  @Test
  void energyPicksTheSmallestRankReachingTheThreshold() throws Exception {
    Map<String, float[]> spectra = spectra();
    CompressionResult result =
        compress(CompressionSpec.builder().setPolicy(RankPolicy.energy(0.6)).build());
    int factorized = 0;
    for (LayerResult l : result.layers()) {
      float[] s = spectra.get(l.name());
      int r = l.factorized() ? l.rank().getAsInt() : -1;
      if (r > 0) {
        factorized++;
        assertTrue(share(s, r) >= 0.6 - 1e-6, l.name());
        assertTrue(share(s, r - 1) < 0.6, l.name() + ": rank " + (r - 1) + " already suffices");
        assertEquals(share(s, r), l.energyKept(), 1e-4);
      } else {
        assertTrue(l.reason().orElseThrow().contains("not fewer than"), l.reason().get());
      }
    }
    assertTrue(factorized >= 4, result.toJson());
  }

  @Test
  void aLayerRuleOverridesTheDefault() throws Exception {
    CompressionResult result =
        compress(
            CompressionSpec.builder()
                .setPolicy(RankPolicy.rank(8))
                .optRule("07Linear", RankPolicy.dense())
                .optRule("05ParallelBlock.*", RankPolicy.rank(4))
                .build());
    LayerResult head = result.layer("07Linear").orElseThrow();
    assertEquals(LayerStatus.DENSE, head.status());
    assertEquals("kept dense by rule 07Linear=dense", head.reason().orElseThrow());
    assertEquals(4, result.layer("05ParallelBlock.02Linear").orElseThrow().rank().getAsInt());
    assertEquals(8, result.layer("01Linear").orElseThrow().rank().getAsInt());
  }

  @Test
  void globalRatioKeepsTheWholeBudget() throws Exception {
    CompressionResult result =
        compress(
            CompressionSpec.builder()
                .setPolicy(RankPolicy.ratio(0.3))
                .optScope(Scope.GLOBAL)
                .build());
    long dense = 0;
    long factors = 0;
    for (LayerResult l : result.layers()) {
      long n = l.layer().outFeatures();
      long m = l.layer().inFeatures();
      dense += n * m;
      factors += l.factorized() ? l.rank().getAsInt() * (n + m) : n * m;
    }
    assertTrue(factors <= 0.3 * dense + 1e-9, factors + " of " + dense);
    assertTrue(factors > 0.25 * dense, "the budget is used: " + factors + " of " + dense);
    assertEquals("global", result.settings().get("scope"));
  }

  @Test
  void globalEnergyReachesTheMeanShare() throws Exception {
    CompressionResult result =
        compress(
            CompressionSpec.builder()
                .setPolicy(RankPolicy.energy(0.5))
                .optScope(Scope.GLOBAL)
                .build());
    double mean =
        result.layers().stream().mapToDouble(LayerResult::energyKept).average().orElseThrow();
    assertTrue(mean >= 0.5, "mean kept energy " + mean);
    assertTrue(result.factorizedLayers().size() >= 3, result.toJson());
  }

  @Test
  void specMistakesAreRefusedWithAClearMessage() {
    IllegalArgumentException noMatch =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                compress(
                    CompressionSpec.builder()
                        .setPolicy(RankPolicy.rank(4))
                        .optRule("fc9", RankPolicy.dense())
                        .build()));
    assertTrue(noMatch.getMessage().contains("'fc9' matches no linear layer"));
    IllegalArgumentException tooBig =
        assertThrows(
            IllegalArgumentException.class,
            () -> compress(CompressionSpec.builder().setPolicy(RankPolicy.rank(500)).build()));
    assertTrue(tooBig.getMessage().contains("exceeds min(n, m) of every linear layer"));
    IllegalArgumentException ruleTooBig =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                compress(
                    CompressionSpec.builder()
                        .setPolicy(RankPolicy.rank(4))
                        .optRule("07Linear", RankPolicy.rank(20))
                        .build()));
    assertTrue(ruleTooBig.getMessage().contains("exceeds min(n, m) = 10 of layer 07Linear"));
  }

  @Test
  void policyValuesAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> RankPolicy.rank(0));
    assertThrows(IllegalArgumentException.class, () -> RankPolicy.rank(-3));
    assertThrows(IllegalArgumentException.class, () -> RankPolicy.energy(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> RankPolicy.energy(0));
    assertThrows(IllegalArgumentException.class, () -> RankPolicy.energy(1.01));
    assertThrows(IllegalArgumentException.class, () -> RankPolicy.ratio(1));
    assertThrows(IllegalArgumentException.class, () -> RankPolicy.ratio(0));
    assertThrows(IllegalArgumentException.class, () -> RankPolicy.ratio(Double.NaN));
    assertEquals(RankPolicy.energy(1.0), RankPolicy.parse("energy:1"));
    assertEquals(new LayerRule("*.fc1", RankPolicy.rank(8)), LayerRule.parse("*.fc1=rank:8"));
    assertTrue(LayerRule.parse("enc.*.linear1=dense").matches("enc.layers.0.linear1"));
    assertThrows(IllegalArgumentException.class, () -> LayerRule.parse("fc1"));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            CompressionSpec.builder().setPolicy(RankPolicy.rank(4)).optScope(Scope.GLOBAL).build());
  }
}
