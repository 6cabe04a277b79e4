package dev.lowrank.format.djl;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.lowrank.data.SampleShape;
import dev.lowrank.data.Tensor;
import dev.lowrank.format.LayerInputObserver;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.runtime.blocks.BlockReferences;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs a DJL block model on batches: each observed {@link Linear} is swapped for an {@link
 * ObservingLinear} (each observed {@link Conv2d} for an {@link ObservingConv2d}) that reports its
 * input and then runs the original block, and weights are replaced in place (their values saved and
 * written back on reset; a convolution's kernel from its channel form).
 */
final class DjlRunner implements ModelRunner {

  private final DjlSourceModel source;
  private final Model model;
  private final Map<Block, Block> swaps = new LinkedHashMap<>();
  private final BlockReferences refs;
  private final Map<NDArray, float[]> saved = new LinkedHashMap<>();
  private LayerInputObserver current = LayerInputObserver.NONE;

  DjlRunner(DjlSourceModel source, Map<String, ? extends Block> observed) {
    this.source = source;
    this.model = source.model();
    this.refs = BlockReferences.of(model.getBlock());
    for (Map.Entry<String, ? extends Block> e : observed.entrySet()) {
      if (e.getValue() instanceof Linear linear) {
        swaps.put(linear, new ObservingLinear(e.getKey(), linear, this));
      } else if (e.getValue() instanceof Conv2d conv) {
        swaps.put(conv, new ObservingConv2d(e.getKey(), conv, this));
      } else {
        throw new IllegalArgumentException(
            "'" + e.getKey() + "' is no linear layer or convolution");
      }
    }
    OutputProbe.swap(model, refs, swaps);
  }

  @Override
  public List<String> inputNames() {
    PairList<String, Shape> described = model.describeInput();
    List<String> names = new ArrayList<>();
    if (described != null) {
      for (int i = 0; i < described.size(); i++) {
        String name = described.keyAt(i);
        names.add(name == null || name.isBlank() ? "input" + i : name);
      }
    }
    if (names.isEmpty()) {
      names.add("input0");
    }
    return names;
  }

  @Override
  public Optional<SampleShape> sampleShape() {
    try {
      Shape[] shapes = model.getBlock().getInputShapes();
      if (shapes == null || shapes.length != 1 || shapes[0].dimension() < 2) {
        return Optional.empty();
      }
      long[] dims = java.util.Arrays.copyOfRange(shapes[0].getShape(), 1, shapes[0].dimension());
      for (long d : dims) {
        if (d < 1) {
          return Optional.empty();
        }
      }
      return Optional.of(SampleShape.of(dims));
    } catch (IllegalStateException | UnsupportedOperationException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  @Override
  public List<Tensor> run(List<Tensor> inputs, LayerInputObserver observer)
      throws ModelFileException {
    current = observer;
    try (NDManager manager = model.getNDManager().newSubManager()) {
      NDList in = new NDList();
      for (Tensor t : inputs) {
        in.add(DjlTensors.toArray(t, manager));
      }
      Block block = model.getBlock();
      NDList out = block.forward(new ParameterStore(manager, false), in, false);
      List<Tensor> outputs = new ArrayList<>();
      for (int i = 0; i < out.size(); i++) {
        outputs.add(DjlTensors.toTensor("output" + i, out.get(i)));
      }
      return outputs;
    } catch (RuntimeException e) {
      throw new ModelFileException(
          source.where(),
          "fails on a batch of inputs "
              + inputs.stream().map(Tensor::toString).toList()
              + " ("
              + oneLine(e)
              + ")",
          e);
    } finally {
      current = LayerInputObserver.NONE;
    }
  }

  @Override
  public void setWeights(Map<String, FloatMatrix> weights) {
    resetWeights();
    Map<String, Linear> blocks = source.linearBlocks();
    for (Map.Entry<String, FloatMatrix> e : weights.entrySet()) {
      Block block = blocks.get(e.getKey());
      if (block == null) {
        block = source.convBlocks().get(e.getKey());
      }
      if (block == null || block.getParameters().get("weight") == null) {
        throw new IllegalArgumentException("'" + e.getKey() + "' is not a dense layer");
      }
      NDArray weight = block.getParameters().get("weight").getArray();
      FloatMatrix w = e.getValue();
      // A convolution's kernel C_out x C_in x kh x kw is set from its channel form.
      Shape shape = weight.getShape();
      if (shape.get(0) != w.rows() || shape.size() / Math.max(1, shape.get(0)) != w.cols()) {
        throw new IllegalArgumentException(
            "Layer " + e.getKey() + " is " + weight.getShape() + ", not " + w.shape());
      }
      if (weight.getDataType() != DataType.FLOAT32) {
        throw new IllegalArgumentException(
            "Layer " + e.getKey() + " holds " + weight.getDataType() + " weights, not float32");
      }
      saved.putIfAbsent(weight, weight.toFloatArray());
      weight.set(FloatBuffer.wrap(w.data()));
    }
  }

  @Override
  public void resetWeights() {
    saved.forEach((weight, values) -> weight.set(FloatBuffer.wrap(values)));
    saved.clear();
  }

  @Override
  public void close() {
    resetWeights();
    OutputProbe.swap(model, refs, OutputProbe.inverse(swaps));
  }

  void observe(String layer, NDArray input) {
    if (current != LayerInputObserver.NONE && current.observes(layer)) {
      current.observe(layer, DjlTensors.toTensor(layer, input));
    }
  }

  private static String oneLine(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return msg.replaceAll("\\s+", " ").trim();
  }

  /** A stand-in that reports its input to the runner, then runs the original linear block. */
  static final class ObservingLinear extends Linear {

    private final String name;
    private final Linear original;
    private final DjlRunner runner;

    @SuppressWarnings("this-escape")
    ObservingLinear(String name, Linear original, DjlRunner runner) {
      super(Linear.builder().setUnits(units(original)).optBias(false));
      this.name = name;
      this.original = original;
      this.runner = runner;
      parameters.clear();
    }

    private static long units(Linear linear) {
      ai.djl.nn.Parameter w = linear.getParameters().get("weight");
      return w != null && w.isInitialized() ? w.getArray().getShape().get(0) : 1;
    }

    @Override
    protected NDList forwardInternal(
        ParameterStore parameterStore,
        NDList inputs,
        boolean training,
        PairList<String, Object> params) {
      runner.observe(name, inputs.head());
      return original.forward(parameterStore, inputs, training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
      return original.getOutputShapes(inputs);
    }
  }

  /**
   * A stand-in that reports its input ({@code [N, C_in, H, W]}) to the runner, then runs the
   * original convolution; a {@link Conv2d} itself, so that it fits fields of that type.
   */
  static final class ObservingConv2d extends Conv2d {

    private final String name;
    private final Conv2d original;
    private final DjlRunner runner;

    @SuppressWarnings("this-escape")
    ObservingConv2d(String name, Conv2d original, DjlRunner runner) {
      super(
          Conv2d.builder()
              .setKernelShape(original.getKernelShape())
              .setFilters(original.getFilters())
              .optStride(original.getStride())
              .optPadding(original.getPadding())
              .optDilation(original.getDilation())
              .optGroups(original.getGroups())
              .optBias(false));
      this.name = name;
      this.original = original;
      this.runner = runner;
      parameters.clear();
    }

    @Override
    protected NDList forwardInternal(
        ParameterStore parameterStore,
        NDList inputs,
        boolean training,
        PairList<String, Object> params) {
      runner.observe(name, inputs.head());
      return original.forward(parameterStore, inputs, training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputs) {
      return original.getOutputShapes(inputs);
    }
  }
}
