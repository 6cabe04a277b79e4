package dev.lowrank.datasets.training;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import dev.lowrank.data.Dataset;
import java.io.IOException;

/**
 * Trains a DJL classifier (softmax cross-entropy, Adam with element-wise gradient clipping at 1,
 * fixed learning rate) on a {@link Dataset} set, seeded so that the same settings give the same
 * model.
 */
public final class ClassifierTraining {

  /** Gradients are clipped element-wise to this magnitude, so that training cannot diverge. */
  private static final float CLIP_GRADIENT = 1f;

  private ClassifierTraining() {}

  /**
   * Settings of one training run.
   *
   * @param epochs passes over the data
   * @param batchSize samples per step
   * @param learningRate Adam's learning rate
   * @param seed the seed of initialization and shuffling
   */
  public record Settings(int epochs, int batchSize, float learningRate, int seed) {
    /** Checks the values. */
    public Settings {
      if (epochs < 1 || batchSize < 1 || !(learningRate > 0)) {
        throw new IllegalArgumentException(
            "epochs and batch size must be >= 1 and the learning rate > 0");
      }
    }
  }

  /**
   * Initializes the model's block and trains it.
   *
   * @param model a model whose block is set but not initialized
   * @param data the training samples
   * @param sampleShape the shape of one sample, without the batch dimension
   * @param settings the training settings
   * @throws TranslateException if a training step fails
   * @throws IOException if the data cannot be iterated
   */
  public static void fit(Model model, Dataset data, Shape sampleShape, Settings settings)
      throws TranslateException, IOException {
    Engine.getInstance().setRandomSeed(settings.seed());
    DefaultTrainingConfig config =
        new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
            .optOptimizer(
                Optimizer.adam()
                    .optLearningRateTracker(Tracker.fixed(settings.learningRate()))
                    .optClipGrad(CLIP_GRADIENT)
                    .build())
            .optDevices(new Device[] {Device.cpu()});
    try (Trainer trainer = model.newTrainer(config);
        NDManager manager = model.getNDManager().newSubManager()) {
      NDArray x = manager.create(data.flatFeatures(), new Shape(data.size()).addAll(sampleShape));
      NDArray y = manager.create(data.labels().orElseThrow()).toType(DataType.FLOAT32, false);
      ArrayDataset dataset =
          new ArrayDataset.Builder()
              .setData(x)
              .optLabels(y)
              .setSampling(settings.batchSize(), true)
              .build();
      trainer.initialize(new Shape(settings.batchSize()).addAll(sampleShape));
      for (int epoch = 0; epoch < settings.epochs(); epoch++) {
        for (Batch batch : trainer.iterateDataset(dataset)) {
          try (batch) {
            EasyTrain.trainBatch(trainer, batch);
            trainer.step();
          }
        }
        trainer.notifyListeners(listener -> listener.onEpoch(trainer));
      }
    }
  }
}
