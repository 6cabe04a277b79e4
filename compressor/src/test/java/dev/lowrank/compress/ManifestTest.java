package dev.lowrank.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.finetune.FinetuneEpoch;
import dev.lowrank.finetune.FinetuneLoss;
import dev.lowrank.finetune.FinetuneReport;
import dev.lowrank.format.ConvForm;
import dev.lowrank.format.ConvGeometry;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.runtime.ManifestFile;
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
                Optional.of(dev.lowrank.linalg.SvdAlgorithm.EXACT)),
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

  /** A factorized and an already factorized convolution: kind, form and geometry round-trip. */
  @Test
  void convolutionsRoundTripWithKindFormAndGeometry() throws Exception {
    ConvGeometry g = new ConvGeometry(16, 8, 3, 5, 2, 1, 1, 2, 1, 1, 1);
    Layer conv = Layer.conv("features.0", g, true);
    Layer low = Layer.conv("features.3", ConvGeometry.of(16, 16, 3, 3, 1, 1), false);
    long spatial = ConvForm.SPATIAL.weightsAtRank(g, 4) + 16;
    CompressionResult r =
        new CompressionResult(
            Compressor.version(),
            "torchscript",
            Optional.of("cnn.pt"),
            Optional.empty(),
            Map.of("policy", "rank 4", "conv", "auto"),
            List.of(
                new LayerResult(
                    conv,
                    LayerStatus.FACTORIZED,
                    OptionalInt.of(4),
                    Optional.empty(),
                    conv.parameters(),
                    spatial,
                    0.8,
                    0.4,
                    Optional.of(dev.lowrank.linalg.SvdAlgorithm.EXACT),
                    Optional.empty(),
                    Optional.of(ConvForm.SPATIAL)),
                new LayerResult(
                    low.withLowRank(3, ConvForm.CHANNEL),
                    LayerStatus.LOW_RANK_INPUT,
                    OptionalInt.of(3),
                    Optional.of("already factorized at rank 3 (channel form) in the input"),
                    3 * (16 + 144),
                    3 * (16 + 144),
                    1,
                    0,
                    Optional.empty())),
            conv.parameters() + 3 * (16 + 144),
            spatial + 3 * (16 + 144));
    String json = r.toJson();
    assertTrue(json.contains("\"kind\": \"conv2d\""), json);
    assertTrue(json.contains("\"form\": \"spatial\""), json);
    assertTrue(json.contains("\"shape\": [\n        16,\n        120\n      ]"), json);
    assertEquals(r, ManifestJson.parse(json, Path.of("m.json")));
    assertEquals(
        (8 * 3 + 5 * 16) * 4 + 16,
        r.layers().get(0).parametersAfter(),
        "spatial: r (C_in kh + kw C_out) + bias");
    assertEquals(
        3 * (16 + 144), r.layers().get(1).layer().parameters(), "channel: r (C_out + C_in kh kw)");

    // What a DJL loader reads of it: the convolution's form and geometry.
    List<ManifestFile.FactorizedLayer> layers = ManifestFile.factorizedLayers(json, Path.of("m"));
    assertEquals(2, layers.size());
    ManifestFile.FactorizedLayer first = layers.get(0);
    assertTrue(first.isConv());
    assertEquals(Optional.of("spatial"), first.form());
    assertEquals(Optional.of(new ManifestFile.Conv(8, 3, 5, 2, 1, 1, 2, 1, 1, 1)), first.conv());
    assertEquals(Optional.of("channel"), layers.get(1).form());

    // A manifest written before convolutions (no kind) reads as linear layers.
    String old = sample().toJson().replace("\"kind\": \"linear\",", "");
    assertEquals(sample(), ManifestJson.parse(old, Path.of("m.json")));
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
