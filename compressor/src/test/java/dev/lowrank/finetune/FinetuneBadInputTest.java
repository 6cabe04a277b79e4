package dev.lowrank.finetune;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.LayerRule;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.DataFileException;
import dev.lowrank.data.DataOptions;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.datasets.Digits;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFormat;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.torchscript.TorchScriptFixturesAccess;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.testing.DjlFixtures;
import dev.lowrank.testing.TestBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad fine-tuning data fails with one line naming the data file and nothing is written; formats DJL
 * cannot train are refused before any work.
 */
class FinetuneBadInputTest {

  @TempDir Path tmp;

  private Path out() {
    return tmp.resolve("out");
  }

  private <E extends Exception> E fails(Class<E> kind, Path model, FinetuneSpec finetune) {
    Path out = model.toString().endsWith(".pt") ? tmp.resolve("out.pt") : out();
    E e =
        assertThrows(
            kind,
            () ->
                Compressor.compress(
                    model,
                    out,
                    CompressionSpec.builder()
                        .setPolicy(RankPolicy.rank(8))
                        .optFinetune(finetune)
                        .build()));
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    assertFalse(Files.exists(out), "nothing is written");
    return e;
  }

  private static FinetuneSpec.Builder on(DataSource data) {
    return FinetuneSpec.builder().setData(data).optEpochs(1);
  }

  @Test
  void missingDataFile() {
    Path missing = tmp.resolve("missing.csv");
    DataFileException e =
        fails(
            DataFileException.class,
            DjlFixtures.trained(TestBlocks.Variant.NESTED),
            on(DataSource.file(missing, DataOptions.defaults())).build());
    assertTrue(e.getMessage().startsWith(missing + ": no such file"), e.getMessage());
  }

  @Test
  void samplesOfTheWrongWidth() throws Exception {
    Path csv = tmp.resolve("narrow.csv");
    StringBuilder text = new StringBuilder("a,b,c,label\n");
    for (int i = 0; i < 20; i++) {
      text.append(i).append(",1,2,").append(i % 10).append('\n');
    }
    Files.writeString(csv, text);
    DataSource source = DataSource.file(csv, DataOptions.defaults());
    DataFileException djl =
        fails(
            DataFileException.class,
            DjlFixtures.trained(TestBlocks.Variant.NESTED),
            on(source).build());
    assertTrue(
        djl.getMessage().startsWith(csv + ": its samples do not fit the model's input shape 64"),
        djl.getMessage());
    // A TorchScript file stores no input shape: the original model itself refuses the samples.
    DataFileException ts =
        fails(
            DataFileException.class,
            TorchScriptFixturesAccess.copy("mlp_scripted.pt", tmp),
            on(source).build());
    assertTrue(ts.getMessage().startsWith(csv + ": its samples do not fit"), ts.getMessage());
  }

  @Test
  void nonFiniteValuesTooFewSamplesMissingAndOutOfRangeLabels() {
    Path model = DjlFixtures.trained(TestBlocks.Variant.NESTED);
    float[] values = Digits.train().first(40).flatFeatures();
    values[3 * 64 + 5] = Float.NaN;
    Dataset nan = Dataset.builder().setName("nan-set").setFeatures(values, 64).build();
    DataFileException e = fails(DataFileException.class, model, on(DataSource.of(nan)).build());
    assertTrue(e.getMessage().startsWith("nan-set: sample 3 holds NaN"), e.getMessage());

    Dataset one = Digits.train().first(1).withName("one-sample");
    e = fails(DataFileException.class, model, on(DataSource.of(one)).build());
    assertTrue(e.getMessage().startsWith("one-sample: has 1 sample"), e.getMessage());

    Dataset unlabeled = Digits.train().first(40).withoutLabels().withName("no-labels");
    e = fails(DataFileException.class, model, on(DataSource.of(unlabeled)).optLabels().build());
    assertTrue(e.getMessage().startsWith("no-labels: has no labels"), e.getMessage());

    int[] labels = new int[40];
    labels[7] = 42;
    Dataset wide =
        Dataset.builder()
            .setName("label-42")
            .setFeatures(Digits.train().first(40).flatFeatures(), 64)
            .optLabels(labels)
            .build();
    e = fails(DataFileException.class, model, on(DataSource.of(wide)).optLabels().build());
    assertTrue(
        e.getMessage().startsWith("label-42: sample 7 has label 42 but the model has 10 outputs"),
        e.getMessage());
  }

  @Test
  void nothingFactorizedIsMisuse() {
    FinetuneSpec spec = on(DataSource.of(Digits.train().first(40))).build();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Compressor.compress(
                    DjlFixtures.trained(TestBlocks.Variant.NESTED),
                    out(),
                    CompressionSpec.builder()
                        .setPolicy(RankPolicy.rank(8))
                        .optRule(LayerRule.parse("*=dense"))
                        .optFinetune(spec)
                        .build()));
    assertTrue(e.getMessage().contains("no layer was factorized"), e.getMessage());
    assertFalse(Files.exists(out()));
  }

  @Test
  void formatsDjlCannotTrainAreRefused() {
    assertTrue(Finetuner.canTrain("djl"));
    assertTrue(Finetuner.canTrain("torchscript"));
    assertFalse(Finetuner.canTrain("onnx"));
    FinetuneSpec spec = on(DataSource.of(Digits.train().first(40))).build();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Finetuner.finetune(
                    new OnnxLike(),
                    Map.of(
                        "fc",
                        new LowRankFactors(
                            FloatMatrix.wrap(1, 2, new float[2]),
                            FloatMatrix.wrap(2, 1, new float[2]))),
                    spec));
    assertTrue(
        e.getMessage().startsWith("onnx models cannot be fine-tuned in Java"), e.getMessage());
  }

  @Test
  void badSettingsAreMisuse() {
    DataSource data = DataSource.of(Digits.train().first(40));
    assertThrows(IllegalArgumentException.class, () -> on(data).optEpochs(0).build());
    assertThrows(IllegalArgumentException.class, () -> on(data).optLearningRate(0).build());
    assertThrows(IllegalArgumentException.class, () -> on(data).optLearningRate(Float.NaN).build());
    assertThrows(IllegalArgumentException.class, () -> on(data).optHeldOut(0.9).build());
    assertThrows(IllegalArgumentException.class, () -> on(data).optPatience(0).build());
    assertThrows(IllegalArgumentException.class, () -> on(data).optTemperature(-1).build());
    assertThrows(IllegalArgumentException.class, () -> FinetuneSpec.builder().build());
    assertThrows(IllegalArgumentException.class, () -> FinetuneLoss.parse("hinge"));
  }

  /** A model of a format DJL cannot train (as ONNX through ONNX Runtime would be). */
  private static final class OnnxLike implements SourceModel {
    @Override
    public Path path() {
      return Path.of("model.onnx");
    }

    @Override
    public ModelFormat format() {
      return new ModelFormat() {
        @Override
        public String name() {
          return "onnx";
        }

        @Override
        public boolean accepts(Path path) {
          return false;
        }

        @Override
        public SourceModel open(Path path) {
          throw new UnsupportedOperationException();
        }
      };
    }

    @Override
    public long parameterCount() {
      return 4;
    }

    @Override
    public List<Layer> layers() {
      return List.of(Layer.linear("fc", 2, 2, false));
    }

    @Override
    public FloatMatrix readWeight(Layer layer) {
      return FloatMatrix.wrap(2, 2, new float[4]);
    }

    @Override
    public ModelRunner runner(Set<String> observed) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void write(Path output, Map<String, LowRankFactors> factors, byte[] manifest) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Optional<byte[]> manifest() {
      return Optional.empty();
    }

    @Override
    public void close() {}
  }
}
