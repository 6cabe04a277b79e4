package dev.lowrank.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.BlockFactory;
import dev.lowrank.datasets.LabeledData;
import java.util.Map;

/**
 * A model of the zoo: how to build its blocks, the data it learns from, and how to train it.
 * Trained models are cached by {@link ExampleTrainer}.
 */
public interface Example {

  /**
   * Returns the example's name, e.g. {@code mlp-digits}.
   *
   * @return the name used by {@code lowrank zoo}
   */
  String name();

  /**
   * Returns a one-line description of the architecture.
   *
   * @return the description
   */
  String description();

  /**
   * Returns the data set's name and origin.
   *
   * @return e.g. {@code UCI digits (bundled, CC BY 4.0)}
   */
  String dataset();

  /**
   * Returns the factory that builds the model's blocks (named in its serving.properties).
   *
   * @return the block factory class
   */
  Class<? extends BlockFactory> blockFactory();

  /**
   * Returns the arguments the factory reads from serving.properties.
   *
   * @return factory arguments
   */
  Map<String, String> arguments();

  /**
   * Returns the shape of one input sample, without the batch dimension.
   *
   * @return e.g. {@code (64)} or {@code (1, 8, 8)}
   */
  Shape sampleShape();

  /**
   * Returns the training settings.
   *
   * @return epochs, batch size, learning rate and seed
   */
  TrainingPlan training();

  /**
   * Returns the training data.
   *
   * @return labeled samples
   */
  LabeledData trainData();

  /**
   * Returns the held-out test data.
   *
   * @return labeled samples
   */
  LabeledData testData();
}
