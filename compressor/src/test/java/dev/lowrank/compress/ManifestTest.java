package dev.lowrank.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.finetune.FinetuneEpoch;
import dev.lowrank.finetune.FinetuneLoss;
import dev.lowrank.finetune.FinetuneReport;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ManifestTest {

  private static CompressionResult sample() {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("policy", "rank 2");
    settings.put("scope", "layer");
    return new CompressionResult(
        Compressor.version(),
        "djl",
        Optional.of("model"),
        Optional.of("ab".repeat(32)),
        settings,
        List.of(
            new LayerResult(
                Layer.linear("fc1", 10, 10, true),
                LayerStatus.FACTORIZED,
                OptionalInt.of(2),
                Optional.empty(),
                110,
                50,
                0.9,
                0.31,
                Optional.of("exact")),
            new LayerResult(
                Layer.linear("fc2", 3, 10, false),
                LayerStatus.DENSE,
                OptionalInt.empty(),
                Optional.of("kept dense by rule fc2=dense"),
                30,
                30,
                1,
                0,
                Optional.empty())),
        140,
        80);
  }

  @Test
  void roundTripsEveryField() throws Exception {
    CompressionResult r = sample();
    CompressionResult back = ManifestJson.parse(r.toJson(), Path.of("m.json"));
    assertEquals(r, back);
    assertTrue(r.toJson().contains("\"formatVersion\": 1"));
    assertEquals(80.0 / 140, back.parameterRatio(), 1e-12);
  }

  @Test
  void roundTripsAFineTuningAndOmitsItWithoutOne() throws Exception {
    FinetuneReport f =
        new FinetuneReport(
            "train.csv",
            "cd".repeat(32),
            90,
            10,
            FinetuneLoss.KL,
            FinetuneReport.Fidelity.AGREEMENT,
            0.001,
            32,
            10,
            3,
            2.0,
            7,
            List.of("fc1"),
            0.41,
            0.9,
            0.05,
            1.0,
            List.of(
                new FinetuneEpoch(1, 0.3, 0.2, 0.95, 0.5),
                new FinetuneEpoch(2, 0.1, 0.05, 1.0, 0.4)),
            2,
            false,
            1.5);
    CompressionResult r = sample().withFinetune(sample().layers(), f);
    String json = r.toJson();
    assertEquals(r, ManifestJson.parse(json, Path.of("m.json")));
    assertTrue(json.contains("\"sha256\": \"" + "cd".repeat(32) + "\""), json);
    assertTrue(json.contains("\"secondsPerEpoch\": 0.45"), json);
    assertFalse(sample().toJson().contains("finetune"), "absent when no fine-tuning ran");
    assertEquals(
        Optional.empty(), ManifestJson.parse(sample().toJson(), Path.of("m.json")).finetune());
  }

  @Test
  void refusesNewerFormatVersionsAndMalformedJson() {
    String newer = sample().toJson().replace("\"formatVersion\": 1", "\"formatVersion\": 99");
    ModelFileException e =
        assertThrows(ModelFileException.class, () -> ManifestJson.parse(newer, Path.of("m.json")));
    assertTrue(e.getMessage().startsWith("m.json: manifest format version 99 is not supported"));
    ModelFileException bad =
        assertThrows(
            ModelFileException.class, () -> ManifestJson.parse("{\"x\":", Path.of("m.json")));
    assertTrue(bad.getMessage().contains("malformed"));
  }
}
