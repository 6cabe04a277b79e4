package dev.lowrank.format.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.torchscript.TorchScriptFixtures.Fixture;
import dev.lowrank.format.torchscript.TorchScriptFixtures.FixtureLayer;
import dev.lowrank.linalg.LowRankFactors;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The PyTorch 2 layout: each fixture is loaded and saved again by libtorch 2.7.1 (through DJL),
 * which writes the {@code archive/} prefix, a {@code byteorder} record and {@code
 * .data/serialization_id}; lowrank reads the result like the 1.13 file and its rewrite runs in DJL.
 */
class TorchScriptLibtorch2Test {

  @TempDir Path dir;

  static Stream<Fixture> fixtures() {
    return TorchScriptFixtures.all().stream();
  }

  private Path resave(Fixture f) throws Exception {
    Path in = f.copyTo(dir);
    Criteria<NDList, NDList> criteria =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(dir)
            .optModelName(f.file().replace(".pt", ""))
            .optEngine("PyTorch")
            .optTranslator(new NoopTranslator(null))
            .build();
    Path out = dir.resolve("libtorch2_" + f.file());
    try (ZooModel<NDList, NDList> model = criteria.loadModel();
        OutputStream os = Files.newOutputStream(out)) {
      JniUtils.writeModule((PtSymbolBlock) model.getBlock(), os, false);
    }
    return out;
  }

  @ParameterizedTest
  @MethodSource("fixtures")
  void readsAndRewritesWhatLibtorch2Writes(Fixture f) throws Exception {
    Path v2 = resave(f);
    try (ZipFile z = new ZipFile(v2.toFile())) {
      assertTrue(z.getEntry("archive/byteorder") != null, "a PyTorch 2 archive");
    }
    List<String> ineligible;
    try (SourceModel v1 = ModelFormats.open(dir.resolve(f.file()))) {
      ineligible = names(v1.layers().stream().filter(l -> l.ineligible().isPresent()));
    }
    try (SourceModel m = ModelFormats.open(v2)) {
      assertEquals(f.parameters(), m.parameterCount());
      assertEquals(
          ineligible,
          names(m.layers().stream().filter(l -> l.ineligible().isPresent())),
          "the code libtorch 2 prints hides the same weight reads");
      List<Layer> layers = TorchScriptFixtures.linearModules(m.layers());
      assertEquals(
          f.layers().stream().map(FixtureLayer::name).toList(),
          layers.stream().map(Layer::name).toList());
      for (int i = 0; i < layers.size(); i++) {
        assertEquals(f.layers().get(i).outFeatures(), m.readWeight(layers.get(i)).rows());
      }
      DjlRunner.Result original = DjlRunner.run(v2, f.inputShape());
      // Every layer at full rank, convolutions and attention projections included: libtorch 2
      // runs the classes lowrank writes.
      Map<String, LowRankFactors> full =
          TestCompression.factors(m, (n, k) -> Math.min(n, k), name -> false);
      Path out = dir.resolve("full.pt");
      m.write(out, full, TestCompression.bytes(TestCompression.manifest(m, full)));
      double diff = DjlRunner.run(out, f.inputShape()).maxRelativeDiff(original);
      assertTrue(diff < 1e-4, "full-rank rewrite of the libtorch 2 file: " + diff);
    }
  }

  private static List<String> names(Stream<Layer> layers) {
    return layers.map(Layer::name).toList();
  }
}
