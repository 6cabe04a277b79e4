package dev.lowrank.zoo.minilm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.Allocation;
import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.Scope;
import dev.lowrank.compress.TruncationMethod;
import dev.lowrank.data.Dataset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code minilm} example's settings, methods and rank summary, without running the model. */
class MiniLmSettingsTest {

  private static final Calibration CALIBRATION =
      Calibration.builder()
          .setData(Dataset.builder().setName("c").setFeatures(new float[][] {{1f}}).build())
          .build();

  @Test
  void theDefaultsAreTheReadmesTable() {
    MiniLmSettings s = MiniLmSettings.builder().build();
    assertEquals(List.of(0.5, 0.3), s.shares());
    assertEquals(List.of(MiniLmMethod.values()), s.methods());
    assertEquals(128, s.calibrationTexts());
    assertEquals(64, s.sensitivitySamples());
    assertEquals(List.of(500, 500, 500), List.of(s.pairs(), s.trainTexts(), s.testTexts()));
    assertEquals(List.of(1, 32), s.latency().orElseThrow().batchSizes());
    assertTrue(s.calibrated());
    assertFalse(
        MiniLmSettings.builder().optMethods(List.of(MiniLmMethod.PLAIN)).build().calibrated());
  }

  @Test
  void valuesOutOfRangeAreRefusedSayingWhat() {
    IllegalArgumentException share =
        assertThrows(
            IllegalArgumentException.class,
            () -> MiniLmSettings.builder().optShares(List.of(0.5, 1.5)).build());
    assertTrue(share.getMessage().contains("(0, 1)"), share.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> MiniLmSettings.builder().optShares(List.of(0.5, 0.5)).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> MiniLmSettings.builder().optMethods(List.of()).build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            MiniLmSettings.builder()
                .optMethods(List.of(MiniLmMethod.PLAIN, MiniLmMethod.PLAIN))
                .build());
    IllegalArgumentException pairs =
        assertThrows(
            IllegalArgumentException.class,
            () -> MiniLmSettings.builder().optEvaluationTexts(1, 10, 10).build());
    assertTrue(
        pairs.getMessage().contains("retrieval pairs must be at least 2"), pairs.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> MiniLmSettings.builder().optCalibrationTexts(0).build());
    assertEquals(
        8,
        MiniLmSettings.builder()
            .optCalibrationTexts(8)
            .optSensitivitySamples(64)
            .optLatency(Optional.empty())
            .build()
            .sensitivitySamples(),
        "a probe runs on at most the calibration texts");
  }

  @Test
  void eachMethodIsTheCompressSettingItNames() {
    CompressionSpec plain = MiniLmMethod.PLAIN.spec(0.5, CALIBRATION);
    assertEquals(RankPolicy.ratio(0.5), plain.policy());
    assertEquals(TruncationMethod.PLAIN, plain.method());
    assertTrue(plain.calibration().isEmpty());
    CompressionSpec whitened = MiniLmMethod.WHITENED.spec(0.3, CALIBRATION);
    assertEquals(TruncationMethod.WHITENED, whitened.method());
    assertEquals(Scope.LAYER, whitened.scope());
    assertFalse(whitened.sequential());
    assertTrue(MiniLmMethod.SEQUENTIAL.spec(0.3, CALIBRATION).sequential());
    CompressionSpec global = MiniLmMethod.GLOBAL.spec(0.3, CALIBRATION);
    assertEquals(Scope.GLOBAL, global.scope());
    assertEquals(Allocation.SPECTRUM, global.allocation());
    CompressionSpec sensitivity = MiniLmMethod.SENSITIVITY.spec(0.3, CALIBRATION);
    assertEquals(Scope.GLOBAL, sensitivity.scope());
    assertEquals(Allocation.SENSITIVITY, sensitivity.allocation());
    assertEquals(CALIBRATION, sensitivity.calibration().orElseThrow());
    assertEquals(MiniLmMethod.GLOBAL, MiniLmMethod.of("Global"));
    IllegalArgumentException bad =
        assertThrows(IllegalArgumentException.class, () -> MiniLmMethod.of("asvd"));
    assertTrue(bad.getMessage().contains("plain, whitened, global, sensitivity, sequential"));
  }

  @Test
  void layersAreGroupedByTheirNameWithinTheBlock() {
    assertEquals("q", MiniLmRanks.kind("encoder.layer.0.attention.self.query"));
    assertEquals("o", MiniLmRanks.kind("encoder.layer.11.attention.output.dense"));
    assertEquals("in", MiniLmRanks.kind("encoder.layer.2.intermediate.dense"));
    assertEquals("out", MiniLmRanks.kind("encoder.layer.2.output.dense"));
    assertEquals("mlp.fc", MiniLmRanks.kind("layer.3.mlp.fc"));
    assertEquals("pooler.dense", MiniLmRanks.kind("pooler.dense"));
  }
}
