package dev.lowrank.finetune.internal;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.lowrank.data.SampleShape;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.format.djl.DjlSourceModel;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.runtime.LowRankLinear;
import dev.lowrank.runtime.blocks.LinearSites;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * DJL block models: the teacher is the opened source model itself (still dense while fine-tuning
 * runs), the student a second copy of it loaded from its directory with the factors put in place as
 * {@link LowRankLinear} blocks, whose {@code lowrank_a} and {@code lowrank_b} are the only
 * parameters left unfrozen.
 */
final class DjlModels {

  private DjlModels() {}

  static TrainingModel teacher(SourceModel source) {
    return new Loaded(djl(source).model(), null, List.of());
  }

  static TrainingModel student(SourceModel source, Map<String, LowRankFactors> factors)
      throws ModelFileException {
    Path dir = djl(source).path();
    if (dir == null) {
      throw new IllegalArgumentException(
          "fine-tuning a DJL model needs its model directory (the student is a second copy of"
              + " it): compress it with Compressor.compress(Path, Path, spec)");
    }
    DjlSourceModel copy = (DjlSourceModel) ModelFormats.djl().open(dir);
    try {
      copy.rewrite(factors);
      Block root = copy.model().getBlock();
      root.freezeParameters(true);
      List<TrainableFactors> trained = new ArrayList<>();
      for (String layer : factors.keySet()) {
        if (!(LinearSites.named(root, layer).block() instanceof LowRankLinear low)) {
          throw new IllegalStateException("Layer " + layer + " of the student is not low-rank");
        }
        Parameter a = low.getParameters().get(LowRankLinear.FACTOR_A);
        Parameter b = low.getParameters().get(LowRankLinear.FACTOR_B);
        a.freeze(false);
        b.freeze(false);
        trained.add(new TrainableFactors(layer, a, b));
      }
      return new Loaded(copy.model(), copy, trained);
    } catch (ModelFileException | RuntimeException e) {
      copy.close();
      throw e;
    }
  }

  private static DjlSourceModel djl(SourceModel source) {
    if (source instanceof DjlSourceModel djl) {
      return djl;
    }
    throw new IllegalArgumentException(
        "Not a DJL block model: " + source.path() + " (" + source.format().name() + ")");
  }

  /** A DJL model run through its block, in inference mode. */
  private static final class Loaded implements TrainingModel {

    private final Model model;
    private final SourceModel owned;
    private final List<TrainableFactors> factors;

    Loaded(Model model, SourceModel owned, List<TrainableFactors> factors) {
      this.model = model;
      this.owned = owned;
      this.factors = List.copyOf(factors);
    }

    @Override
    public NDManager manager() {
      return model.getNDManager();
    }

    @Override
    public NDList forward(NDManager step, NDList inputs) {
      // training=false: dropout off and batch-norm statistics fixed; the gradient collector, when
      // open, still records the graph through the unfrozen factors.
      return model.getBlock().forward(new ParameterStore(step, false), inputs, false);
    }

    @Override
    public Optional<SampleShape> storedInputShape() {
      try {
        Shape[] shapes = model.getBlock().getInputShapes();
        if (shapes == null || shapes.length != 1 || shapes[0].dimension() < 2) {
          return Optional.empty();
        }
        long[] dims = Arrays.copyOfRange(shapes[0].getShape(), 1, shapes[0].dimension());
        return Arrays.stream(dims).allMatch(d -> d >= 1)
            ? Optional.of(SampleShape.of(dims))
            : Optional.empty();
      } catch (IllegalStateException | UnsupportedOperationException | IllegalArgumentException e) {
        return Optional.empty();
      }
    }

    @Override
    public List<TrainableFactors> factors() {
      return factors;
    }

    @Override
    public void close() {
      if (owned != null) {
        owned.close();
      }
    }
  }
}
