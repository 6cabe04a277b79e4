package dev.lowrank.format;

/**
 * The kinds of layers a {@link SourceModel} can list for factorization. Each kind says how its
 * weight is laid out as the matrix {@code W} (n x m) that {@link SourceModel#readWeight} returns
 * and that the factors {@code B} (n x r) and {@code A} (r x m) replace.
 */
public enum LayerKind {
  /** A dense linear layer {@code y = W x + b}: {@code W} is the weight as it is, n x m. */
  LINEAR;

  /**
   * Returns the lower-case name used in reports: {@code linear}.
   *
   * @return the name
   */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
