package dev.lowrank.format.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.LayerStatus;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Dataset;
import dev.lowrank.datasets.Digits;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackends;
import dev.lowrank.runtime.LowRankLinear;
import dev.lowrank.runtime.blocks.LinearSites;
import dev.lowrank.testing.DjlFixtures;
import dev.lowrank.testing.Logits;
import dev.lowrank.testing.ReferenceSvd;
import dev.lowrank.testing.TestBlocks;
import dev.lowrank.testing.TestBlocks.Variant;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DjlCompressionTest {

  private static final Dataset TEST = Digits.test();

  @TempDir Path tmp;

  @Test
  void findsEveryLinearLayerOfNestedParallelAndCustomBlocks() throws Exception {
    try (SourceModel model = ModelFormats.open(DjlFixtures.trained(Variant.NESTED))) {
      assertEquals("djl", model.format().name());
      List<String> names = model.layers().stream().map(Layer::name).toList();
      assertEquals(
          List.of(
              "01Linear",
              "03SequentialBlock.01Linear",
              "04Residual.01inner",
              "05ParallelBlock.01Linear",
              "05ParallelBlock.02Linear",
              "07Linear"),
          names);
      List<String> shapes = model.layers().stream().map(Layer::shape).toList();
      assertEquals(List.of("96x64", "64x96", "64x64", "24x64", "24x64", "10x48"), shapes);
      assertTrue(model.layers().stream().allMatch(l -> l.ineligible().isEmpty()));
      long linear = model.layers().stream().mapToLong(Layer::parameters).sum();
      assertEquals(linear, model.parameterCount(), "all parameters of this model are linear");
    }
  }

  @Test
  void savedModelLoadsWithCriteriaAndEqualsTheTruncatedDenseModel() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    Path out = tmp.resolve("nested-r8");
    CompressionResult result =
        Compressor.compress(
            input, out, CompressionSpec.builder().setPolicy(RankPolicy.rank(8)).build());
    assertEquals(6, result.factorizedLayers().size(), result.toJson());

    // Reference: the original dense model with each W replaced by its rank-8 truncation.
    Map<String, LowRankFactors> truncations = new LinkedHashMap<>();
    float[] reference;
    Criteria<NDList, NDList> criteria =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(input)
            .optTranslator(new NoopTranslator())
            .build();
    try (ZooModel<NDList, NDList> dense = criteria.loadModel()) {
      DjlSourceModel source = DjlSourceModel.wrap(dense);
      for (Layer layer : source.layers()) {
        FloatMatrix w = source.readWeight(layer);
        truncations.put(
            layer.name(),
            LowRankFactors.truncate(SvdBackends.exact().decompose(w, RankTarget.leading(8)), 8));
      }
      for (Layer layer : source.layers()) {
        var weight =
            LinearSites.named(dense.getBlock(), layer.name())
                .block()
                .getParameters()
                .get("weight")
                .getArray();
        weight.set(java.nio.FloatBuffer.wrap(truncations.get(layer.name()).product().data()));
      }
      reference = Logits.of(dense, TEST);
    }
    float[] compressed = Logits.of(out, TEST);
    assertTrue(
        Logits.relativeDifference(compressed, reference) < 1e-5,
        "difference " + Logits.relativeDifference(compressed, reference));
  }

  @Test
  void factorProductsReachTheEckartYoungOptimum() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    Path out = tmp.resolve("nested-r5");
    int r = 5;
    CompressionResult result =
        Compressor.compress(
            input, out, CompressionSpec.builder().setPolicy(RankPolicy.rank(r)).build());
    try (SourceModel original = ModelFormats.open(input);
        DjlSourceModel compressed = (DjlSourceModel) ModelFormats.open(out)) {
      for (Layer layer : original.layers()) {
        FloatMatrix w = original.readWeight(layer);
        LowRankLinear low =
            (LowRankLinear) LinearSites.named(compressed.model().getBlock(), layer.name()).block();
        assertEquals(r, low.getRank());
        FloatMatrix a = matrix(low.getParameters().get(LowRankLinear.FACTOR_A).getArray());
        FloatMatrix b = matrix(low.getParameters().get(LowRankLinear.FACTOR_B).getArray());
        double error = new LowRankFactors(a, b).residualNorm(w);
        double optimum = ReferenceSvd.optimalError(w, r);
        assertEquals(optimum, error, 1e-4 * optimum, layer.name());
        LayerResult reported = result.layer(layer.name()).orElseThrow();
        assertEquals(error / Math.sqrt(w.frobeniusNormSquared()), reported.relativeError(), 1e-5);
      }
    }
  }

  @Test
  void fullRankFactorsReproduceTheOriginalOutput() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    float[] original = Logits.of(input, TEST);
    try (DjlSourceModel source = (DjlSourceModel) ModelFormats.open(input)) {
      Map<String, LowRankFactors> full = new LinkedHashMap<>();
      for (Layer layer : source.layers()) {
        FloatMatrix w = source.readWeight(layer);
        int k = Math.min(w.rows(), w.cols());
        full.put(
            layer.name(),
            LowRankFactors.truncate(SvdBackends.exact().decompose(w, RankTarget.leading(k)), k));
      }
      source.rewrite(full);
      float[] rewritten = Logits.of(source.model(), TEST);
      assertTrue(Logits.relativeDifference(rewritten, original) < 1e-5);
    }
  }

  @Test
  void aLayerWhoseWeightIsReadByItsParentStaysDense() throws Exception {
    Path input = DjlFixtures.trained(Variant.TIED);
    try (SourceModel model = ModelFormats.open(input)) {
      Layer head = model.layers().get(model.layers().size() - 1);
      assertEquals("07TiedHead.01proj", head.name());
      assertTrue(head.ineligible().orElseThrow().contains("outside its forward"));
      assertEquals(5, model.layers().stream().filter(l -> l.ineligible().isEmpty()).count());
    }
    Path out = tmp.resolve("tied");
    CompressionSpec spec = CompressionSpec.builder().setPolicy(RankPolicy.rank(8)).build();
    CompressionResult result = Compressor.compress(input, out, spec);
    assertEquals(5, result.factorizedLayers().size());
    LayerResult head = result.layer("07TiedHead.01proj").orElseThrow();
    assertEquals(LayerStatus.DENSE, head.status());
    assertTrue(head.reason().orElseThrow().contains("outside its forward"));
    // The saved model computes what the same compression does in memory, head included.
    float[] inMemory;
    try (DjlSourceModel source = (DjlSourceModel) ModelFormats.open(input)) {
      Compressor.compress(source.model(), spec);
      inMemory = Logits.of(source.model(), TEST);
    }
    assertTrue(Logits.relativeDifference(Logits.of(out, TEST), inMemory) < 1e-6);
  }

  @Test
  void aLinearCapturedByALambdaStaysDense() throws Exception {
    try (SourceModel model = ModelFormats.open(DjlFixtures.trained(Variant.CAPTURED))) {
      Layer head = model.layers().get(model.layers().size() - 1);
      assertEquals("07CapturedLinear.01captured", head.name());
      assertTrue(head.ineligible().orElseThrow().contains("captured"), head.ineligible().get());
    }
  }

  @Test
  void compressedParameterCountIsExact() throws Exception {
    Path out = tmp.resolve("ratio");
    CompressionResult result =
        Compressor.compress(
            DjlFixtures.trained(Variant.NESTED),
            out,
            CompressionSpec.builder().setPolicy(RankPolicy.ratio(0.3)).build());
    long saved = 0;
    for (LayerResult l : result.layers()) {
      long n = l.layer().outFeatures();
      long m = l.layer().inFeatures();
      if (l.factorized()) {
        int r = l.rank().getAsInt();
        assertEquals(r * (n + m) + n, l.parametersAfter(), "bias always kept: " + l.name());
        assertTrue(r * (n + m) <= 0.3 * n * m);
        assertTrue((r + 1) * (n + m) > 0.3 * n * m, "largest rank within the ratio");
      }
      saved += l.parametersBefore() - l.parametersAfter();
    }
    assertEquals(result.parametersOriginal() - saved, result.parametersCompressed());
    try (SourceModel written = ModelFormats.open(out)) {
      assertEquals(result.parametersCompressed(), written.parameterCount());
      assertEquals(
          result.factorizedLayers().size(),
          written.layers().stream().filter(l -> l.lowRank().isPresent()).count());
    }
  }

  @Test
  void recompressingLeavesFactorizedLayersAlone() throws Exception {
    Path once = tmp.resolve("once");
    Path twice = tmp.resolve("twice");
    CompressionSpec rank8 = CompressionSpec.builder().setPolicy(RankPolicy.rank(8)).build();
    Compressor.compress(DjlFixtures.trained(Variant.NESTED), once, rank8);
    CompressionResult again = Compressor.compress(once, twice, rank8);
    assertTrue(again.layers().stream().allMatch(l -> l.status() == LayerStatus.LOW_RANK_INPUT));
    assertEquals(again.parametersOriginal(), again.parametersCompressed());
    float[] a = Logits.of(once, TEST);
    float[] b = Logits.of(twice, TEST);
    assertTrue(Logits.relativeDifference(b, a) < 1e-6);
  }

  @Test
  void compressesAModelInMemoryAsTheFileApiDoes() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    CompressionSpec spec = CompressionSpec.builder().setPolicy(RankPolicy.ratio(0.5)).build();
    Path out = tmp.resolve("file-api");
    CompressionResult fromFile = Compressor.compress(input, out, spec);
    Criteria<NDList, NDList> criteria =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(input)
            .optTranslator(new NoopTranslator())
            .build();
    try (ZooModel<NDList, NDList> model = criteria.loadModel()) {
      CompressionResult inMemory = Compressor.compress(model, spec);
      assertTrue(inMemory.inputSha256().isEmpty());
      assertEquals(fromFile.parametersCompressed(), inMemory.parametersCompressed());
      assertEquals(6, inMemory.factorizedLayers().size());
      assertTrue(
          LinearSites.find(model.getBlock()).stream()
              .allMatch(s -> s.block() instanceof LowRankLinear));
      assertTrue(Logits.relativeDifference(Logits.of(model, TEST), Logits.of(out, TEST)) < 1e-6);
    }
  }

  @Test
  void aModelCompressedInMemorySavesAndReloadsThroughCriteria() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    CompressionSpec spec = CompressionSpec.builder().setPolicy(RankPolicy.rank(8)).build();
    Path saved = tmp.resolve("in-memory-r8");
    float[] expected;
    try (ZooModel<NDList, NDList> model = criteria(input).loadModel()) {
      CompressionResult result = Compressor.compress(model, spec);
      expected = Logits.of(model, TEST);
      Compressor.save(model, result, saved);
      assertEquals(result, Compressor.manifest(saved).orElseThrow());
    }
    try (ZooModel<NDList, NDList> back = criteria(saved).loadModel()) {
      assertEquals(
          8,
          ((LowRankLinear) LinearSites.named(back.getBlock(), "07Linear").block()).getRank(),
          "the reloaded model holds the factors, not W");
      assertEquals(0, Logits.relativeDifference(Logits.of(back, TEST), expected), 1e-7);
    }
    try (SourceModel reopened = ModelFormats.open(saved)) {
      assertTrue(reopened.layers().stream().allMatch(l -> l.lowRank().orElse(0) == 8));
    }
  }

  @Test
  void aModelBuiltInCodeSavesWithTheFactoryNamedByTheCaller() throws Exception {
    Path input = DjlFixtures.trained(Variant.NESTED);
    Path saved = tmp.resolve("named-factory");
    try (ZooModel<NDList, NDList> model = criteria(input).loadModel()) {
      CompressionResult result =
          Compressor.compress(
              model, CompressionSpec.builder().setPolicy(RankPolicy.rank(4)).build());
      Compressor.save(model, result, saved, TestBlocks.Factory.class.getName());
    }
    java.util.Properties props = new java.util.Properties();
    try (var in = java.nio.file.Files.newInputStream(saved.resolve("serving.properties"))) {
      props.load(in);
    }
    assertEquals(TestBlocks.Factory.class.getName(), props.getProperty("lowrank.baseBlockFactory"));
    assertEquals(
        dev.lowrank.runtime.LowRankBlockFactory.class.getName(), props.getProperty("blockFactory"));
    try (ZooModel<NDList, NDList> back = criteria(saved).loadModel()) {
      assertTrue(
          LinearSites.find(back.getBlock()).stream()
              .allMatch(s -> s.block() instanceof LowRankLinear));
    }
  }

  private static Criteria<NDList, NDList> criteria(Path dir) {
    return Criteria.builder()
        .setTypes(NDList.class, NDList.class)
        .optModelPath(dir)
        .optTranslator(new NoopTranslator())
        .build();
  }

  private static FloatMatrix matrix(ai.djl.ndarray.NDArray array) {
    return FloatMatrix.wrap(
        (int) array.getShape().get(0), (int) array.getShape().get(1), array.toFloatArray());
  }
}
