package dev.lowrank.format.torchscript;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import dev.lowrank.data.Dataset;
import dev.lowrank.datasets.Digits;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Runs a TorchScript file on the digits test split with DJL's PyTorch engine (libtorch 2.x). */
final class DjlRunner {

  private DjlRunner() {}

  /**
   * Logits of every test sample, and the manifest DJL reads through {@code extraFiles}.
   *
   * @param logits N x classes, row-major
   * @param rows N
   * @param manifest the embedded lowrank manifest, if any
   */
  record Result(float[] logits, int rows, Optional<String> manifest) {
    int classes() {
      return logits.length / rows;
    }

    double accuracy(Dataset data) {
      int right = 0;
      int c = classes();
      for (int i = 0; i < rows; i++) {
        int best = 0;
        for (int j = 1; j < c; j++) {
          if (logits[i * c + j] > logits[i * c + best]) {
            best = j;
          }
        }
        right += best == data.label(i) ? 1 : 0;
      }
      return (double) right / rows;
    }

    /** The largest |a - b| over the logits, relative to max(1, max |b|). */
    double maxRelativeDiff(Result other) {
      double scale = 1;
      double diff = 0;
      for (int i = 0; i < logits.length; i++) {
        scale = Math.max(scale, Math.abs(other.logits[i]));
        diff = Math.max(diff, Math.abs(logits[i] - other.logits[i]));
      }
      return diff / scale;
    }

    void writeTo(Path file) throws java.io.IOException {
      ByteBuffer b = ByteBuffer.allocate(logits.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (float v : logits) {
        b.putFloat(v);
      }
      Files.write(file, b.array());
    }
  }

  /**
   * Runs a model on the test split.
   *
   * @param model the .pt file
   * @param sampleShape the shape of one sample, e.g. [1, 8, 8]
   * @return the logits
   * @throws Exception if DJL cannot load or run it
   */
  static Result run(Path model, int[] sampleShape) throws Exception {
    Dataset test = Digits.test();
    long[] shape = new long[sampleShape.length + 1];
    shape[0] = test.size();
    for (int i = 0; i < sampleShape.length; i++) {
      shape[i + 1] = sampleShape[i];
    }
    String name = model.getFileName().toString();
    Criteria<NDList, NDList> criteria =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(model.getParent())
            .optModelName(name.substring(0, name.length() - 3))
            .optEngine("PyTorch")
            .optOption("extraFiles", "lowrank-manifest.json")
            .optTranslator(new NoopTranslator(null))
            .build();
    try (ZooModel<NDList, NDList> zoo = criteria.loadModel();
        Predictor<NDList, NDList> predictor = zoo.newPredictor();
        NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray x = manager.create(test.flatFeatures(), new Shape(shape));
      NDList out = predictor.predict(new NDList(x));
      float[] logits = out.singletonOrThrow().toFloatArray();
      String manifest = zoo.getProperty("lowrank-manifest.json");
      return new Result(
          logits,
          test.size(),
          manifest == null || manifest.isEmpty() ? Optional.empty() : Optional.of(manifest));
    }
  }
}
