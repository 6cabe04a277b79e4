package dev.lowrank.format;

/**
 * The kinds of layers a {@link SourceModel} can list for factorization. Each kind says how its
 * weight is laid out as the matrix {@code W} (n x m) that {@link SourceModel#readWeight} returns
 * and that the factors {@code B} (n x r) and {@code A} (r x m) replace.
 */
public enum LayerKind {
  /**
   * A dense linear layer {@code y = W x + b}: {@code W} is the weight as it is, n x m. Attention
   * projections (the query, key and value parts of {@code nn.MultiheadAttention}'s {@code
   * in_proj_weight}, named {@code <module>.in_proj_q}, {@code .in_proj_k}, {@code .in_proj_v}) are
   * linear layers too.
   */
  LINEAR,

  /**
   * A 2-D convolution ({@link Layer#conv()} holds its geometry): {@code W} is the kernel {@code
   * C_out x C_in x kh x kw} in its channel form {@code C_out x (C_in kh kw)} (see {@link
   * ConvGeometry}); the factors may also be in the spatial form ({@link ConvForm}).
   */
  CONV2D;

  /**
   * Returns the lower-case name used in reports: {@code linear} or {@code conv2d}.
   *
   * @return the name
   */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * Returns the kind of a label.
   *
   * @param label {@code linear} or {@code conv2d}
   * @return the kind
   * @throws IllegalArgumentException for another label
   */
  public static LayerKind ofLabel(String label) {
    for (LayerKind k : values()) {
      if (k.label().equals(label)) {
        return k;
      }
    }
    throw new IllegalArgumentException("'" + label + "' is not a layer kind");
  }
}
