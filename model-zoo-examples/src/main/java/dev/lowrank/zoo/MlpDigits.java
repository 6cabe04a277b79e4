package dev.lowrank.zoo;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.BlockFactory;
import dev.lowrank.datasets.Digits;
import dev.lowrank.datasets.LabeledData;
import dev.lowrank.zoo.blocks.MlpBlockFactory;
import java.util.Map;

/** {@code mlp-digits}: a 64-256-128-10 perceptron on the bundled UCI digits. */
public final class MlpDigits implements Example {

  @Override
  public String name() {
    return "mlp-digits";
  }

  @Override
  public String description() {
    return "MLP 64-256-128-10 (ReLU)";
  }

  @Override
  public String dataset() {
    return "UCI digits, 1797 8x8 images (bundled, CC BY 4.0)";
  }

  @Override
  public Class<? extends BlockFactory> blockFactory() {
    return MlpBlockFactory.class;
  }

  @Override
  public Map<String, String> arguments() {
    return Map.of("hidden", "256,128", "outputs", "10");
  }

  @Override
  public Shape sampleShape() {
    return new Shape(Digits.FEATURES);
  }

  @Override
  public TrainingPlan training() {
    return new TrainingPlan(40, 32, 1e-3f, 42);
  }

  @Override
  public LabeledData trainData() {
    return Digits.train();
  }

  @Override
  public LabeledData testData() {
    return Digits.test();
  }
}
