package dev.lowrank.runtime;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Collections;

/**
 * A linear layer whose weight is stored as two factors, {@code W = B A}: it computes {@code y = B
 * (A x) + b} with {@code A} (r x m, parameter {@value #FACTOR_A}) and {@code B} (n x r, parameter
 * {@value #FACTOR_B}) and the original bias.
 *
 * <p>It extends {@link Linear} so that it can take a {@code Linear}'s place anywhere, including in
 * fields of type {@code Linear} of a parent block. It holds {@code r (n + m)} weights instead of
 * {@code n m} and does two thin products instead of one wide one. An inference service needs only
 * the lowrank compressor jar on its classpath to load a model containing it; {@link
 * LowRankBlockFactory} rebuilds the structure from the model's manifest.
 *
 * <p>Serialized with its own format version ({@value #VERSION}); parameters are stored in the order
 * {@code lowrank_a, lowrank_b, bias}.
 */
public class LowRankLinear extends Linear {

  /** The serialization version of this block; other versions are refused. */
  public static final byte VERSION = 100;

  /** Parameter name of the first factor {@code A} (r x m). */
  public static final String FACTOR_A = "lowrank_a";

  /** Parameter name of the second factor {@code B} (n x r). */
  public static final String FACTOR_B = "lowrank_b";

  private static final String BIAS = "bias";

  private final long units;
  private long inFeatures;
  private final int rank;
  private final Parameter factorA;
  private final Parameter factorB;
  private final Parameter bias;
  private Shape inputShape;

  /**
   * Creates the block from its builder.
   *
   * @param builder the builder
   */
  @SuppressWarnings("this-escape")
  protected LowRankLinear(Builder builder) {
    super(Linear.builder().setUnits(builder.units).optBias(builder.bias));
    this.version = VERSION;
    this.units = builder.units;
    this.inFeatures = builder.inFeatures;
    this.rank = builder.rank;
    Parameter linearBias = parameters.get(BIAS);
    parameters.clear();
    Parameter.Builder a = Parameter.builder().setName(FACTOR_A).setType(Parameter.Type.WEIGHT);
    Parameter.Builder b = Parameter.builder().setName(FACTOR_B).setType(Parameter.Type.WEIGHT);
    if (builder.factorA != null) {
      a.optArray(builder.factorA);
      b.optArray(builder.factorB);
    }
    factorA = addParameter(a.build());
    factorB = addParameter(b.build());
    if (linearBias != null) {
      if (builder.biasArray != null) {
        bias =
            addParameter(
                Parameter.builder()
                    .setName(BIAS)
                    .setType(Parameter.Type.BIAS)
                    .optArray(builder.biasArray)
                    .build());
      } else {
        bias = addParameter(linearBias);
      }
    } else {
      bias = null;
    }
    if (builder.inputShape != null) {
      inputShape = builder.inputShape.slice(0, builder.inputShape.dimension() - 1);
      inputShapes = new Shape[] {builder.inputShape};
      inputNames = Collections.singletonList("linearInput");
    }
  }

  /**
   * Starts a builder.
   *
   * @return a new builder
   */
  public static Builder lowRankBuilder() {
    return new Builder();
  }

  /**
   * Returns the rank {@code r} of the factorization.
   *
   * @return the rank
   */
  public int getRank() {
    return rank;
  }

  /**
   * Returns {@code n}, the number of outputs.
   *
   * @return the output features
   */
  public long getUnits() {
    return units;
  }

  /**
   * Returns {@code m}, the number of inputs, once known (after initialization or loading).
   *
   * @return the input features, 0 if not yet known
   */
  public long getInFeatures() {
    return inFeatures;
  }

  /**
   * Returns whether the block adds a bias.
   *
   * @return {@code true} if there is a bias
   */
  public boolean hasBias() {
    return bias != null;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore parameterStore,
      NDList inputs,
      boolean training,
      PairList<String, Object> params) {
    NDArray input = inputs.singletonOrThrow();
    NDArray a = parameterStore.getValue(factorA, input.getDevice(), training);
    NDArray b = parameterStore.getValue(factorB, input.getDevice(), training);
    NDArray c = bias == null ? null : parameterStore.getValue(bias, input.getDevice(), training);
    // The r-wide intermediate is this block's own temporary: free it at once instead of leaving it
    // to the caller's manager (a long inference loop would otherwise hold one per call).
    try (NDArray hidden = Linear.linear(input, a).singletonOrThrow()) {
      return Linear.linear(hidden, b, c);
    }
  }

  @Override
  public PairList<String, Shape> describeInput() {
    return new PairList<>(
        Collections.singletonList("linearInput"), Collections.singletonList(inputShape));
  }

  @Override
  protected void beforeInitialize(Shape... inputShapes) {
    super.beforeInitialize(inputShapes);
    Shape input = inputShapes[0];
    inFeatures = input.get(input.dimension() - 1);
    inputShape = input.slice(0, input.dimension() - 1);
  }

  @Override
  public void prepare(Shape[] inputShapes) {
    Shape input = inputShapes[0];
    long m = input.get(input.dimension() - 1);
    if (!factorA.isInitialized()) {
      factorA.setShape(new Shape(rank, m));
    }
    if (!factorB.isInitialized()) {
      factorB.setShape(new Shape(units, rank));
    }
    if (bias != null && !bias.isInitialized()) {
      bias.setShape(new Shape(units));
    }
  }

  @Override
  protected void saveMetadata(DataOutputStream os) throws IOException {
    os.writeLong(units);
    os.writeLong(inFeatures);
    os.writeInt(rank);
    os.write(inputShape.getEncoded());
  }

  @Override
  public void loadMetadata(byte loadVersion, DataInputStream is)
      throws IOException, MalformedModelException {
    if (loadVersion != VERSION) {
      throw new MalformedModelException(
          "Expected a low-rank linear layer (version "
              + VERSION
              + ") but the parameter file holds version "
              + loadVersion
              + (loadVersion <= 4 ? " of a dense Linear" : "")
              + "; the model's lowrank manifest does not match its parameters");
    }
    long savedUnits = is.readLong();
    long savedIn = is.readLong();
    int savedRank = is.readInt();
    if (savedUnits != units || savedRank != rank) {
      throw new MalformedModelException(
          "Low-rank layer mismatch: the manifest says "
              + units
              + " outputs at rank "
              + rank
              + ", the parameter file "
              + savedUnits
              + " outputs at rank "
              + savedRank);
    }
    inFeatures = savedIn;
    inputShape = Shape.decode(is);
    inputShapes = new Shape[] {inputShape.add(inFeatures)};
  }

  @Override
  public String toString() {
    return "LowRankLinear(" + units + "x" + inFeatures + ", rank " + rank + ")";
  }

  /**
   * Builds a {@link LowRankLinear}: {@code set*} is required, {@code opt*} optional. Without factor
   * arrays the block is uninitialized and gets its parameters from a saved model.
   */
  public static final class Builder {

    private long units;
    private long inFeatures;
    private int rank;
    private boolean bias = true;
    private NDArray factorA;
    private NDArray factorB;
    private NDArray biasArray;
    private Shape inputShape;

    private Builder() {}

    /**
     * Sets {@code n}, the number of outputs.
     *
     * @param units the output features
     * @return this builder
     */
    public Builder setUnits(long units) {
      this.units = units;
      return this;
    }

    /**
     * Sets {@code r}, the rank.
     *
     * @param rank the rank
     * @return this builder
     */
    public Builder setRank(int rank) {
      this.rank = rank;
      return this;
    }

    /**
     * Sets {@code m}, the number of inputs, when known up front.
     *
     * @param inFeatures the input features
     * @return this builder
     */
    public Builder optInFeatures(long inFeatures) {
      this.inFeatures = inFeatures;
      return this;
    }

    /**
     * Sets whether the layer has a bias (default true).
     *
     * @param bias whether to add a bias
     * @return this builder
     */
    public Builder optBias(boolean bias) {
      this.bias = bias;
      return this;
    }

    /**
     * Sets the values: {@code A} (r x m), {@code B} (n x r) and the bias (n, or null), together
     * with the full input shape the layer was initialized with (batch dimensions then m).
     *
     * @param a the first factor
     * @param b the second factor
     * @param biasValues the bias, or null when the layer has none
     * @param inputShape the layer's input shape
     * @return this builder
     */
    public Builder optValues(NDArray a, NDArray b, NDArray biasValues, Shape inputShape) {
      this.factorA = a;
      this.factorB = b;
      this.biasArray = biasValues;
      this.inputShape = inputShape;
      return this;
    }

    /**
     * Checks the settings and builds the block.
     *
     * @return the block
     * @throws IllegalArgumentException if units or rank are not positive, or the values do not have
     *     the shapes the settings imply
     */
    public LowRankLinear build() {
      if (units < 1 || rank < 1) {
        throw new IllegalArgumentException(
            "A low-rank linear layer needs units >= 1 and rank >= 1, got " + units + ", " + rank);
      }
      if (factorA != null) {
        long m = factorA.getShape().get(1);
        if (!factorA.getShape().equals(new Shape(rank, m))
            || !factorB.getShape().equals(new Shape(units, rank))) {
          throw new IllegalArgumentException(
              "Factors "
                  + factorA.getShape()
                  + " and "
                  + factorB.getShape()
                  + " do not match units "
                  + units
                  + " and rank "
                  + rank);
        }
        if (bias != (biasArray != null)) {
          throw new IllegalArgumentException("optBias and the bias values disagree");
        }
        inFeatures = m;
      }
      return new LowRankLinear(this);
    }
  }
}
