package dev.lowrank.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Dataset;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DJL digits examples train, learn, compress, and load back through DJL Criteria. */
class DigitsExamplesTest {

  @TempDir Path tmp;

  private static final Path CACHE = ExampleTrainer.cacheRoot();

  private CompressionResult trainCompressAndCheck(String name, TrainingPlan plan, RankPolicy policy)
      throws Exception {
    DjlExample example = Examples.djl(name);
    Path model = example.model(plan, CACHE);
    Dataset test = example.testData(Integer.MAX_VALUE);
    Shape shape = example.sampleShape();
    double before = DigitsDemo.accuracy(model, test, shape);
    assertTrue(before > 0.8, name + " learns: " + before);
    Path out = tmp.resolve(name);
    CompressionResult result =
        Compressor.compress(model, out, CompressionSpec.builder().setPolicy(policy).build());
    double after = DigitsDemo.accuracy(out, test, shape);
    assertTrue(after >= 0 && after <= 1, name + " compressed loads and predicts: " + after);
    return result;
  }

  @Test
  void cnnFactorizesItsHiddenLinearLayer() throws Exception {
    CompressionResult r =
        trainCompressAndCheck(
            "cnn-digits", new TrainingPlan(4, 32, 1e-3f, 42), RankPolicy.rank(16));
    assertTrue(r.parametersCompressed() < r.parametersOriginal());
    List<String> factorized = r.factorizedLayers().stream().map(LayerResult::name).toList();
    assertEquals(List.of("08Linear"), factorized, r.toJson());
    assertEquals(128, r.layer("08Linear").orElseThrow().layer().inFeatures());
  }

  @Test
  void transformerFactorizesAttentionProjectionsAndFeedForwardLayers() throws Exception {
    CompressionResult r =
        trainCompressAndCheck(
            "transformer-digits", new TrainingPlan(6, 32, 5e-4f, 42), RankPolicy.rank(8));
    List<String> factorized = r.factorizedLayers().stream().map(LayerResult::name).toList();
    long attention =
        factorized.stream()
            .filter(n -> n.matches(".*EncoderLayer\\.\\d\\d(query|key|value|output)"))
            .count();
    long feedForward =
        factorized.stream()
            .filter(n -> n.matches(".*EncoderLayer\\.\\d\\d(expand|contract)"))
            .count();
    assertEquals(8, attention, "q, k, v and output projections of both layers: " + factorized);
    assertEquals(4, feedForward, "both feed-forward layers of both layers: " + factorized);
  }
}
