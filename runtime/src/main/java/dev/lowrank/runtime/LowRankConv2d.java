package dev.lowrank.runtime;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Locale;

/**
 * A 2-D convolution whose kernel is stored as two smaller convolutions that compute its rank-{@code
 * r} approximation, in one of two forms:
 *
 * <ul>
 *   <li>{@link Form#CHANNEL}: {@code A} ({@value #FACTOR_A}, {@code r x C_in x kh x kw}) with the
 *       original stride, padding and dilation, then {@code B} ({@value #FACTOR_B}, {@code C_out x r
 *       x 1 x 1}) and the bias;
 *   <li>{@link Form#SPATIAL}: {@code A} ({@code r x C_in x kh x 1}) with the vertical stride,
 *       padding and dilation, then {@code B} ({@code C_out x r x 1 x kw}) with the horizontal ones
 *       and the bias.
 * </ul>
 *
 * <p>It extends {@link Conv2d} so that it takes a {@code Conv2d}'s place anywhere, including fields
 * of type {@code Conv2d}; its output shape is the original convolution's. Serialized with its own
 * format version ({@value #VERSION}): form, rank, geometry, then the input shapes; parameters in
 * the order {@code lowrank_a, lowrank_b, bias}. {@link LowRankBlockFactory} rebuilds it from the
 * manifest.
 */
public class LowRankConv2d extends Conv2d {

  /** The serialization version of this block; other versions are refused. */
  public static final byte VERSION = 110;

  /** Parameter name of the first convolution's kernel {@code A}. */
  public static final String FACTOR_A = "lowrank_a";

  /** Parameter name of the second convolution's kernel {@code B}. */
  public static final String FACTOR_B = "lowrank_b";

  private static final String BIAS = "bias";

  /** The two factorized forms. */
  public enum Form {
    /** An {@code r}-filter convolution of the original kernel size, then a 1x1 convolution. */
    CHANNEL,
    /** A {@code kh x 1} convolution to {@code r} channels, then a {@code 1 x kw} one. */
    SPATIAL;

    /**
     * Returns the manifest's name of the form.
     *
     * @return {@code channel} or {@code spatial}
     */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Returns the form of a manifest name.
     *
     * @param label {@code channel} or {@code spatial}
     * @return the form
     * @throws IllegalArgumentException for another name
     */
    public static Form ofLabel(String label) {
      for (Form f : values()) {
        if (f.label().equals(label)) {
          return f;
        }
      }
      throw new IllegalArgumentException("'" + label + "' is not a convolution form");
    }
  }

  private final Form form;
  private final int rank;
  private final int inChannels;
  private final Parameter factorA;
  private final Parameter factorB;
  private final Parameter biasParameter;

  /**
   * Creates the block from its builder.
   *
   * @param builder the builder
   */
  @SuppressWarnings("this-escape")
  protected LowRankConv2d(Builder builder) {
    super(
        Conv2d.builder()
            .setKernelShape(builder.kernel)
            .setFilters(builder.filters)
            .optStride(builder.stride)
            .optPadding(builder.padding)
            .optDilation(builder.dilation)
            .optBias(builder.bias));
    this.version = VERSION;
    this.form = builder.form;
    this.rank = builder.rank;
    this.inChannels = builder.inChannels;
    parameters.clear();
    Parameter.Builder a = Parameter.builder().setName(FACTOR_A).setType(Parameter.Type.WEIGHT);
    Parameter.Builder b = Parameter.builder().setName(FACTOR_B).setType(Parameter.Type.WEIGHT);
    if (builder.factorA != null) {
      a.optArray(builder.factorA);
      b.optArray(builder.factorB);
    }
    factorA = addParameter(a.build());
    factorB = addParameter(b.build());
    if (builder.bias) {
      Parameter.Builder c = Parameter.builder().setName(BIAS).setType(Parameter.Type.BIAS);
      if (builder.biasArray != null) {
        c.optArray(builder.biasArray);
      }
      biasParameter = addParameter(c.build());
    } else {
      biasParameter = null;
    }
    if (builder.inputShape != null) {
      inputShapes = new Shape[] {builder.inputShape};
      inputNames = java.util.Collections.singletonList("data");
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
   * Returns the form of the factors.
   *
   * @return channel or spatial
   */
  public Form getForm() {
    return form;
  }

  /**
   * Returns the rank {@code r}, the channels between the two convolutions.
   *
   * @return the rank
   */
  public int getRank() {
    return rank;
  }

  /**
   * Returns {@code C_in}.
   *
   * @return the input channels
   */
  public int getInChannels() {
    return inChannels;
  }

  /**
   * Returns whether the block adds a bias.
   *
   * @return {@code true} if there is a bias
   */
  public boolean hasBias() {
    return biasParameter != null;
  }

  /**
   * Returns the kernel shape of the first convolution: {@code (kh, kw)} or {@code (kh, 1)}.
   *
   * @return the first kernel's spatial shape
   */
  public Shape firstKernel() {
    return form == Form.CHANNEL ? kernelShape : new Shape(kernelShape.get(0), 1);
  }

  /**
   * Returns the kernel shape of the second convolution: {@code (1, 1)} or {@code (1, kw)}.
   *
   * @return the second kernel's spatial shape
   */
  public Shape secondKernel() {
    return form == Form.CHANNEL ? new Shape(1, 1) : new Shape(1, kernelShape.get(1));
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
    NDArray c =
        biasParameter == null
            ? null
            : parameterStore.getValue(biasParameter, input.getDevice(), training);
    Shape s1;
    Shape p1;
    Shape d1;
    Shape s2;
    Shape p2;
    Shape d2;
    if (form == Form.CHANNEL) {
      s1 = stride;
      p1 = padding;
      d1 = dilation;
      s2 = new Shape(1, 1);
      p2 = new Shape(0, 0);
      d2 = new Shape(1, 1);
    } else {
      s1 = new Shape(stride.get(0), 1);
      p1 = new Shape(padding.get(0), 0);
      d1 = new Shape(dilation.get(0), 1);
      s2 = new Shape(1, stride.get(1));
      p2 = new Shape(0, padding.get(1));
      d2 = new Shape(1, dilation.get(1));
    }
    // The r-channel intermediate is this block's own temporary: free it at once.
    try (NDArray hidden = Conv2d.conv2d(input, a, null, s1, p1, d1, 1).singletonOrThrow()) {
      return Conv2d.conv2d(hidden, b, c, s2, p2, d2, 1);
    }
  }

  @Override
  protected void prepare(Shape[] inputs) {
    long cIn = inputs[0].get(1);
    Shape k1 = firstKernel();
    Shape k2 = secondKernel();
    if (!factorA.isInitialized()) {
      factorA.setShape(new Shape(rank, cIn, k1.get(0), k1.get(1)));
    }
    if (!factorB.isInitialized()) {
      factorB.setShape(new Shape(filters, rank, k2.get(0), k2.get(1)));
    }
    if (biasParameter != null && !biasParameter.isInitialized()) {
      biasParameter.setShape(new Shape(filters));
    }
  }

  @Override
  protected void saveMetadata(DataOutputStream os) throws IOException {
    os.writeByte(form.ordinal());
    os.writeInt(rank);
    os.writeInt(filters);
    os.writeInt(inChannels);
    for (Shape s : new Shape[] {kernelShape, stride, padding, dilation}) {
      os.writeLong(s.get(0));
      os.writeLong(s.get(1));
    }
    saveInputShapes(os);
  }

  @Override
  public void loadMetadata(byte loadVersion, DataInputStream is)
      throws IOException, MalformedModelException {
    if (loadVersion != VERSION) {
      throw new MalformedModelException(
          "Expected a low-rank convolution (version "
              + VERSION
              + ") but the parameter file holds version "
              + loadVersion
              + (loadVersion <= 4 ? " of a dense Conv2d" : "")
              + "; the model's lowrank manifest does not match its parameters");
    }
    int savedForm = is.readByte();
    int savedRank = is.readInt();
    int savedFilters = is.readInt();
    int savedIn = is.readInt();
    long[] geometry = new long[8];
    for (int i = 0; i < geometry.length; i++) {
      geometry[i] = is.readLong();
    }
    long[] expected = {
      kernelShape.get(0), kernelShape.get(1),
      stride.get(0), stride.get(1),
      padding.get(0), padding.get(1),
      dilation.get(0), dilation.get(1)
    };
    if (savedForm != form.ordinal()
        || savedRank != rank
        || savedFilters != filters
        || savedIn != inChannels
        || !java.util.Arrays.equals(geometry, expected)) {
      throw new MalformedModelException(
          "Low-rank convolution mismatch: the manifest says "
              + this
              + ", the parameter file "
              + (savedForm >= 0 && savedForm < Form.values().length
                  ? Form.values()[savedForm].label()
                  : "form " + savedForm)
              + " form, rank "
              + savedRank
              + ", "
              + savedFilters
              + " filters of "
              + savedIn
              + " channels, geometry "
              + java.util.Arrays.toString(geometry));
    }
    readInputShapes(is);
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "LowRankConv2d(%d->%d, %dx%d, %s form, rank %d)",
        inChannels,
        filters,
        kernelShape.get(0),
        kernelShape.get(1),
        form.label(),
        rank);
  }

  /**
   * Builds a {@link LowRankConv2d}: {@code set*} is required, {@code opt*} optional. Without kernel
   * arrays the block is uninitialized and gets its parameters from a saved model.
   */
  public static final class Builder {

    private Form form = Form.CHANNEL;
    private int rank;
    private int filters;
    private int inChannels;
    private Shape kernel;
    private Shape stride = new Shape(1, 1);
    private Shape padding = new Shape(0, 0);
    private Shape dilation = new Shape(1, 1);
    private boolean bias = true;
    private NDArray factorA;
    private NDArray factorB;
    private NDArray biasArray;
    private Shape inputShape;

    private Builder() {}

    /**
     * Sets the form (default {@link Form#CHANNEL}).
     *
     * @param form the form
     * @return this builder
     */
    public Builder optForm(Form form) {
      this.form = form;
      return this;
    }

    /**
     * Sets the rank {@code r}.
     *
     * @param rank the rank
     * @return this builder
     */
    public Builder setRank(int rank) {
      this.rank = rank;
      return this;
    }

    /**
     * Sets {@code C_out}, the original convolution's filters.
     *
     * @param filters the output channels
     * @return this builder
     */
    public Builder setFilters(int filters) {
      this.filters = filters;
      return this;
    }

    /**
     * Sets {@code C_in}, the input channels.
     *
     * @param inChannels the input channels
     * @return this builder
     */
    public Builder setInChannels(int inChannels) {
      this.inChannels = inChannels;
      return this;
    }

    /**
     * Sets the original kernel's spatial shape {@code (kh, kw)}.
     *
     * @param kernel the kernel shape
     * @return this builder
     */
    public Builder setKernelShape(Shape kernel) {
      this.kernel = kernel;
      return this;
    }

    /**
     * Sets the original stride (default 1, 1).
     *
     * @param stride the stride
     * @return this builder
     */
    public Builder optStride(Shape stride) {
      this.stride = stride;
      return this;
    }

    /**
     * Sets the original zero padding (default 0, 0).
     *
     * @param padding the padding
     * @return this builder
     */
    public Builder optPadding(Shape padding) {
      this.padding = padding;
      return this;
    }

    /**
     * Sets the original dilation (default 1, 1).
     *
     * @param dilation the dilation
     * @return this builder
     */
    public Builder optDilation(Shape dilation) {
      this.dilation = dilation;
      return this;
    }

    /**
     * Sets whether the convolution adds a bias (default true).
     *
     * @param bias whether to add a bias
     * @return this builder
     */
    public Builder optBias(boolean bias) {
      this.bias = bias;
      return this;
    }

    /**
     * Sets the values: the two kernels of the form and the bias ({@code C_out}, or null), with the
     * input shape the block was initialized with.
     *
     * @param a the first kernel
     * @param b the second kernel
     * @param biasValues the bias, or null when the block has none
     * @param inputShape the block's input shape (N, C_in, H, W)
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
     * @throws IllegalArgumentException if a size is not positive, a shape is not 2-D, or the
     *     kernels do not have the shapes the settings imply
     */
    public LowRankConv2d build() {
      if (rank < 1 || filters < 1 || inChannels < 1 || kernel == null) {
        throw new IllegalArgumentException(
            "A low-rank convolution needs rank, filters, input channels >= 1 and a kernel shape,"
                + " got rank "
                + rank
                + ", "
                + filters
                + " filters, "
                + inChannels
                + " input channels, kernel "
                + kernel);
      }
      for (Shape s : new Shape[] {kernel, stride, padding, dilation}) {
        if (s == null || s.dimension() != 2) {
          throw new IllegalArgumentException(
              "Kernel, stride, padding and dilation must be 2-D, got " + s);
        }
      }
      if (factorA != null) {
        Shape k1 = form == Form.CHANNEL ? kernel : new Shape(kernel.get(0), 1);
        Shape k2 = form == Form.CHANNEL ? new Shape(1, 1) : new Shape(1, kernel.get(1));
        Shape wantA = new Shape(rank, inChannels, k1.get(0), k1.get(1));
        Shape wantB = new Shape(filters, rank, k2.get(0), k2.get(1));
        if (!factorA.getShape().equals(wantA) || !factorB.getShape().equals(wantB)) {
          throw new IllegalArgumentException(
              "Kernels "
                  + factorA.getShape()
                  + " and "
                  + factorB.getShape()
                  + " are not the "
                  + form.label()
                  + " form's "
                  + wantA
                  + " and "
                  + wantB);
        }
        if (bias != (biasArray != null)) {
          throw new IllegalArgumentException("optBias and the bias values disagree");
        }
      }
      return new LowRankConv2d(this);
    }
  }
}
