package dev.lowrank.format.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.ConvFormChoice;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Tensor;
import dev.lowrank.format.ConvForm;
import dev.lowrank.format.ConvGeometry;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerInputObserver;
import dev.lowrank.format.LayerKind;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.linalg.SvdMethod;
import dev.lowrank.runtime.LowRankConv2d;
import dev.lowrank.runtime.LowRankLinear;
import dev.lowrank.runtime.blocks.LayerSites;
import dev.lowrank.testing.ConvBlocks;
import dev.lowrank.testing.Logits;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * DJL {@code Conv2d} blocks in both forms and DJL's own attention: the compressed model computes
 * what the dense one computes with each kernel replaced by the product of the factors it holds
 * (rebuilt here from the {@link LowRankConv2d}'s kernels, independently of the compressor), saves,
 * and reloads through {@code Criteria} with the lowrank runtime.
 */
class DjlConvolutionTest {

  @TempDir Path tmp;

  private static CompressionSpec spec(int rank, ConvFormChoice form) {
    return CompressionSpec.builder()
        .setPolicy(RankPolicy.rank(rank))
        .optConv(true)
        .optConvForm(form)
        .optSvd(SvdMethod.EXACT)
        .build();
  }

  @Test
  void convolutionsAreListedWithTheirGeometry() {
    try (Model model = ConvBlocks.model(ConvBlocks.cnn(), ConvBlocks.CNN_INPUT, 1)) {
      DjlSourceModel source = DjlSourceModel.wrap(model);
      List<Layer> layers = source.layers();
      assertEquals(
          List.of(LayerKind.CONV2D, LayerKind.CONV2D, LayerKind.CONV2D, LayerKind.LINEAR),
          layers.stream().map(Layer::kind).toList());
      assertEquals(
          Optional.of(new ConvGeometry(16, 8, 3, 5, 2, 1, 1, 2, 1, 1, 1)), layers.get(1).conv());
      assertEquals("16x120", layers.get(1).shape());
      assertTrue(
          layers.get(2).ineligible().orElseThrow().contains("grouped convolution (4 groups)"),
          layers.get(2).toString());
      assertEquals(Set.of(ConvForm.CHANNEL, ConvForm.SPATIAL), source.convForms(layers.get(0)));
      long listed = layers.stream().mapToLong(Layer::parameters).sum();
      assertEquals(source.parameterCount(), listed, "every parameter is in a listed layer");
    }
  }

  @ParameterizedTest
  @EnumSource(ConvFormChoice.class)
  void compressedConvolutionsComputeTheProductOfTheirFactors(ConvFormChoice form) throws Exception {
    Path saved = tmp.resolve("cnn-" + form.cliName());
    float[] compressedOut;
    Map<String, float[]> kernels = new LinkedHashMap<>();
    CompressionResult result;
    try (Model model = ConvBlocks.model(ConvBlocks.cnn(), ConvBlocks.CNN_INPUT, 2)) {
      result = Compressor.compress(model, spec(2, form));
      assertEquals(
          Set.of("01Conv2d", "03Conv2d", "07Linear"),
          result.factorizedLayers().stream().map(LayerResult::name).collect(Collectors.toSet()));
      for (LayerResult r : result.factorizedLayers()) {
        Block block = LayerSites.named(model.getBlock(), r.name()).block();
        if (r.layer().kind() == LayerKind.CONV2D) {
          LowRankConv2d low = assertInstanceOf(LowRankConv2d.class, block);
          assertEquals(2, low.getRank());
          ConvForm expected = form.fixed().orElse(r.form().orElseThrow());
          assertEquals(Optional.of(expected), r.form());
          assertEquals(expected.label(), low.getForm().label());
          kernels.put(r.name(), ConvBlocks.product(low));
          long weights =
              low.getParameters().get(LowRankConv2d.FACTOR_A).getArray().getShape().size()
                  + low.getParameters().get(LowRankConv2d.FACTOR_B).getArray().getShape().size();
          assertEquals(expected.weightsAtRank(r.layer().conv().orElseThrow(), 2), weights);
          assertEquals(
              r.parametersAfter(),
              weights + (r.layer().hasBias() ? r.layer().outFeatures() : 0),
              r.name());
        } else {
          LowRankLinear low = assertInstanceOf(LowRankLinear.class, block);
          NDArray a = low.getParameters().get(LowRankLinear.FACTOR_A).getArray();
          NDArray b = low.getParameters().get(LowRankLinear.FACTOR_B).getArray();
          kernels.put(r.name(), b.matMul(a).toFloatArray());
        }
      }
      compressedOut = ConvBlocks.run(model, ConvBlocks.CNN_INPUT);
      Compressor.save(model, result, saved, ConvBlocks.Factory.class.getName());
    }
    // The same dense model with each kernel replaced by the product of its factors.
    float[] reference;
    try (Model dense = ConvBlocks.model(ConvBlocks.cnn(), ConvBlocks.CNN_INPUT, 2)) {
      for (Map.Entry<String, float[]> k : kernels.entrySet()) {
        LayerSites.named(dense.getBlock(), k.getKey())
            .block()
            .getParameters()
            .get("weight")
            .getArray()
            .set(FloatBuffer.wrap(k.getValue()));
      }
      reference = ConvBlocks.run(dense, ConvBlocks.CNN_INPUT);
    }
    assertTrue(
        Logits.relativeDifference(compressedOut, reference) < 1e-5,
        "difference " + Logits.relativeDifference(compressedOut, reference));
    try (ZooModel<NDList, NDList> back = criteria(saved).loadModel()) {
      for (LayerResult r : result.factorizedLayers()) {
        Block block = LayerSites.named(back.getBlock(), r.name()).block();
        if (r.layer().kind() == LayerKind.CONV2D) {
          assertEquals(
              r.form().orElseThrow().label(),
              assertInstanceOf(LowRankConv2d.class, block).getForm().label());
        }
      }
      float[] reloaded = ConvBlocks.run(back, ConvBlocks.CNN_INPUT);
      assertEquals(0, Logits.relativeDifference(reloaded, compressedOut), 1e-7);
    }
  }

  @Test
  void djlAttentionProjectionsAreFactorizedLikeAnyLinearLayer() throws Exception {
    try (Model model = ConvBlocks.model(ConvBlocks.encoder(), ConvBlocks.ENCODER_INPUT, 3)) {
      CompressionResult result =
          Compressor.compress(
              model,
              CompressionSpec.builder()
                  .setPolicy(RankPolicy.rank(8))
                  .optSvd(SvdMethod.EXACT)
                  .build());
      assertEquals(6, result.factorizedLayers().size(), result.layers().toString());
      assertEquals(
          4,
          result.factorizedLayers().stream()
              .filter(r -> r.name().startsWith("01selfAttention."))
              .count(),
          "key, query, value and result projections: " + result.factorizedLayers());
      Map<String, float[]> products = new LinkedHashMap<>();
      for (LayerResult r : result.factorizedLayers()) {
        LowRankLinear low =
            assertInstanceOf(
                LowRankLinear.class, LayerSites.named(model.getBlock(), r.name()).block());
        products.put(
            r.name(),
            low.getParameters()
                .get(LowRankLinear.FACTOR_B)
                .getArray()
                .matMul(low.getParameters().get(LowRankLinear.FACTOR_A).getArray())
                .toFloatArray());
      }
      float[] compressed = ConvBlocks.run(model, ConvBlocks.ENCODER_INPUT);
      try (Model reference = ConvBlocks.model(ConvBlocks.encoder(), ConvBlocks.ENCODER_INPUT, 3)) {
        for (Map.Entry<String, float[]> p : products.entrySet()) {
          LayerSites.named(reference.getBlock(), p.getKey())
              .block()
              .getParameters()
              .get("weight")
              .getArray()
              .set(FloatBuffer.wrap(p.getValue()));
        }
        float[] expected = ConvBlocks.run(reference, ConvBlocks.ENCODER_INPUT);
        assertTrue(
            Logits.relativeDifference(compressed, expected) < 1e-5,
            "difference " + Logits.relativeDifference(compressed, expected));
      }
    }
  }

  /** A model directory (blocks loaded from a parameter file) compresses through the file API. */
  @Test
  void aSavedModelDirectoryCompressesItsConvolutions() throws Exception {
    Path dense = tmp.resolve("cnn-saved");
    try (Model model = ConvBlocks.model(ConvBlocks.cnn(), ConvBlocks.CNN_INPUT, 5)) {
      model.save(dense, "convs");
    }
    java.util.Properties p = new java.util.Properties();
    p.setProperty("engine", "PyTorch");
    p.setProperty("blockFactory", ConvBlocks.Factory.class.getName());
    p.setProperty("option.modelName", "convs");
    try (var out = java.nio.file.Files.newOutputStream(dense.resolve("serving.properties"))) {
      p.store(out, "test model");
    }
    Path out = tmp.resolve("cnn-saved-r2");
    CompressionResult r = Compressor.compress(dense, out, spec(2, ConvFormChoice.SPATIAL));
    assertEquals(Optional.of(ConvForm.SPATIAL), r.layer("01Conv2d").orElseThrow().form());
    try (ZooModel<NDList, NDList> back = criteria(out).loadModel()) {
      assertInstanceOf(LowRankConv2d.class, LayerSites.named(back.getBlock(), "03Conv2d").block());
    }
    CompressionResult manifest = Compressor.manifest(out).orElseThrow();
    assertEquals(r.settings(), manifest.settings());
    assertEquals(
        r.layers().stream().map(LayerResult::form).toList(),
        manifest.layers().stream().map(LayerResult::form).toList());
  }

  /** A parameter file of dense convolutions under a manifest of factorized ones is refused. */
  @Test
  void aDenseConvolutionParameterFileIsRefusedByTheLowRankBlock() throws Exception {
    Path saved = tmp.resolve("cnn-mixed");
    try (Model model = ConvBlocks.model(ConvBlocks.cnn(), ConvBlocks.CNN_INPUT, 4)) {
      CompressionResult result = Compressor.compress(model, spec(2, ConvFormChoice.CHANNEL));
      Compressor.save(model, result, saved, ConvBlocks.Factory.class.getName());
    }
    Path dense = tmp.resolve("cnn-dense");
    try (Model model = ConvBlocks.model(ConvBlocks.cnn(), ConvBlocks.CNN_INPUT, 4)) {
      model.save(dense, "convs");
    }
    java.nio.file.Files.copy(
        dense.resolve("convs-0000.params"),
        saved.resolve("convs-0000.params"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Exception e = assertThrows(Exception.class, () -> criteria(saved).loadModel().close());
    Throwable t = e;
    while (t.getCause() != null && !t.getMessage().contains("low-rank convolution")) {
      t = t.getCause();
    }
    assertTrue(
        t.getMessage().contains("Expected a low-rank convolution (version 110)")
            && t.getMessage().contains("of a dense Conv2d"),
        e.toString());
  }

  @Test
  void aConvolutionReportsTheTensorItConvolves() throws Exception {
    try (Model model = ConvBlocks.model(ConvBlocks.cnn(), ConvBlocks.CNN_INPUT, 1)) {
      DjlSourceModel source = DjlSourceModel.wrap(model);
      float[] x = new float[Math.toIntExact(ConvBlocks.CNN_INPUT.size())];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) Math.sin(0.37 * i);
      }
      Tensor input = Tensor.ofFloats("x", ConvBlocks.CNN_INPUT.getShape(), x);
      Map<String, Tensor> seen = new LinkedHashMap<>();
      float[] plain;
      try (ModelRunner runner = source.runner(Set.of())) {
        plain = runner.run(List.of(input), LayerInputObserver.NONE).get(0).floats();
      }
      try (ModelRunner runner = source.runner(Set.of("01Conv2d", "03Conv2d"))) {
        float[] out = runner.run(List.of(input), seen::put).get(0).floats();
        assertArrayEquals(plain, out, 0f, "observing changes nothing");
      }
      assertEquals(List.of("01Conv2d", "03Conv2d"), List.copyOf(seen.keySet()));
      assertArrayEquals(x, seen.get("01Conv2d").floats(), 0f, "the first convolution sees x");
      assertArrayEquals(new long[] {2, 8, 12, 12}, seen.get("03Conv2d").shape());
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> source.runner(Set.of("05Conv2d")));
      assertTrue(e.getMessage().contains("not a dense, eligible layer"), e.getMessage());
    }
  }

  private static Criteria<NDList, NDList> criteria(Path dir) {
    return Criteria.builder()
        .setTypes(NDList.class, NDList.class)
        .optModelPath(dir)
        .optTranslator(new NoopTranslator())
        .build();
  }
}
