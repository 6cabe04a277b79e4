package dev.lowrank.format.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.data.Dataset;
import dev.lowrank.data.Tensor;
import dev.lowrank.datasets.Digits;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerInputObserver;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.testing.DjlFixtures;
import dev.lowrank.testing.Logits;
import dev.lowrank.testing.TestBlocks.Variant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The DJL format's runner: outputs, observed layer inputs and replaced weights. */
class DjlRunnerTest {

  private static final Dataset TEST = Digits.test().select(0, 1, 2, 3, 4, 5, 6, 7);

  private static Tensor batch() {
    return Tensor.ofFloats("x", new long[] {TEST.size(), TEST.featureCount()}, TEST.flatFeatures());
  }

  @Test
  void runsTheModelAndShowsTheInputsOfObservedLayers() throws Exception {
    try (SourceModel model = ModelFormats.open(DjlFixtures.trained(Variant.NESTED))) {
      float[] expected = Logits.of(((DjlSourceModel) model).model(), TEST);
      Map<String, List<Tensor>> seen = new LinkedHashMap<>();
      List<Tensor> out;
      try (ModelRunner runner = model.runner(Set.of("01Linear", "03SequentialBlock.01Linear"))) {
        out =
            runner.run(
                List.of(batch()),
                (layer, input) -> seen.computeIfAbsent(layer, k -> new ArrayList<>()).add(input));
      }
      assertArrayEquals(expected, out.get(0).floats(), 1e-6f, "the runner computes the model");
      assertEquals(Set.of("01Linear", "03SequentialBlock.01Linear"), seen.keySet());
      Tensor first = seen.get("01Linear").get(0);
      assertArrayEquals(new long[] {8, 64}, first.shape());
      assertArrayEquals(TEST.flatFeatures(), first.floats(), 0f, "the first layer sees the input");
      assertEquals(96, seen.get("03SequentialBlock.01Linear").get(0).dim(1));
      // Closing the runner puts the original blocks back.
      assertArrayEquals(expected, Logits.of(((DjlSourceModel) model).model(), TEST), 0f);
    }
  }

  @Test
  void replacedWeightsChangeTheOutputUntilReset() throws Exception {
    try (SourceModel model = ModelFormats.open(DjlFixtures.trained(Variant.NESTED));
        ModelRunner runner = model.runner(Set.of())) {
      Layer head = model.layers().get(model.layers().size() - 1);
      FloatMatrix w = model.readWeight(head);
      float[] before = runner.run(List.of(batch()), LayerInputObserver.NONE).get(0).floats();
      runner.setWeights(Map.of(head.name(), FloatMatrix.zeros(w.rows(), w.cols())));
      float[] zeroed = runner.run(List.of(batch()), LayerInputObserver.NONE).get(0).floats();
      assertTrue(Logits.relativeDifference(zeroed, before) > 0.5, "the head's W was replaced");
      runner.resetWeights();
      float[] after = runner.run(List.of(batch()), LayerInputObserver.NONE).get(0).floats();
      assertArrayEquals(before, after, 0f);
      assertArrayEquals(w.data(), model.readWeight(head).data(), 0f, "the weight is restored");
      assertThrows(
          IllegalArgumentException.class,
          () -> runner.setWeights(Map.of(head.name(), FloatMatrix.zeros(2, 2))),
          "a matrix of another shape is refused");
    }
  }
}
