package dev.lowrank.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.datasets.LabeledData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MlpDigitsCompressionTest {

  @TempDir Path tmp;

  @Test
  void compressesTrainedMlpAndLoadsItBack() throws Exception {
    MlpDigits example = new MlpDigits();
    Path model =
        ExampleTrainer.trainOrLoad(
            example, new TrainingPlan(10, 32, 1e-3f, 7), tmp.resolve("cache"));
    Path out = tmp.resolve("mlp16");
    CompressionResult result =
        Compressor.compress(
            model, out, CompressionSpec.builder().setPolicy(RankPolicy.rank(16)).build());
    System.err.println(result.toJson());
    double before = accuracy(model, example.testData());
    double after = accuracy(out, example.testData());
    System.err.println("acc " + before + " -> " + after);
    assertTrue(before > 0.9);
    assertEquals(3, result.layers().size());
  }

  static double accuracy(Path dir, LabeledData data) throws Exception {
    Criteria<NDList, NDList> c =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(dir)
            .optEngine("PyTorch")
            .optTranslator(new NoopTranslator())
            .build();
    try (ZooModel<NDList, NDList> m = c.loadModel();
        Predictor<NDList, NDList> p = m.newPredictor();
        NDManager mgr = NDManager.newBaseManager("PyTorch")) {
      NDArray x = mgr.create(data.flatFeatures(), new Shape(data.size(), data.featureCount()));
      NDArray out = p.predict(new NDList(x)).head();
      long[] pred = out.argMax(1).toLongArray();
      int ok = 0;
      for (int i = 0; i < pred.length; i++) ok += pred[i] == data.label(i) ? 1 : 0;
      return (double) ok / pred.length;
    }
  }
}
