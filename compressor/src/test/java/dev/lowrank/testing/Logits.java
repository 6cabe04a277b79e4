package dev.lowrank.testing;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import dev.lowrank.data.Dataset;
import java.nio.file.Path;

/** Runs DJL models on digits samples and compares outputs. */
public final class Logits {

  private Logits() {}

  /**
   * Loads a model directory through DJL Criteria (as a service would) and returns its outputs.
   *
   * @param modelDir the DJL model directory
   * @param data the samples (64 features each)
   * @return the outputs, row-major (samples x classes)
   * @throws Exception if DJL fails
   */
  public static float[] of(Path modelDir, Dataset data) throws Exception {
    Criteria<NDList, NDList> criteria =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(modelDir)
            .optEngine("PyTorch")
            .optTranslator(new NoopTranslator())
            .build();
    try (ZooModel<NDList, NDList> model = criteria.loadModel()) {
      return of(model, data);
    }
  }

  /**
   * Runs an in-memory model.
   *
   * @param model the model
   * @param data the samples
   * @return the outputs, row-major
   * @throws Exception if DJL fails
   */
  public static float[] of(Model model, Dataset data) throws Exception {
    try (Predictor<NDList, NDList> predictor = model.newPredictor(new NoopTranslator());
        NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDList in =
          new NDList(
              manager.create(data.flatFeatures(), new Shape(data.size(), data.featureCount())));
      return predictor.predict(in).head().toFloatArray();
    }
  }

  /**
   * Returns the top-1 accuracy of outputs.
   *
   * @param logits row-major outputs
   * @param data the samples with labels
   * @return the share of rows whose arg-max is the label
   */
  public static double accuracy(float[] logits, Dataset data) {
    int classes = logits.length / data.size();
    int correct = 0;
    for (int i = 0; i < data.size(); i++) {
      int best = 0;
      for (int c = 1; c < classes; c++) {
        if (logits[i * classes + c] > logits[i * classes + best]) {
          best = c;
        }
      }
      correct += best == data.label(i) ? 1 : 0;
    }
    return (double) correct / data.size();
  }

  /**
   * Returns {@code ||a - b|| / ||b||}.
   *
   * @param a values
   * @param b reference values
   * @return the relative L2 difference
   */
  public static double relativeDifference(float[] a, float[] b) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < a.length; i++) {
      double d = (double) a[i] - b[i];
      num += d * d;
      den += (double) b[i] * b[i];
    }
    return Math.sqrt(num / den);
  }
}
