package dev.lowrank.bench;

import java.util.List;

/**
 * A matrix shape, rows x columns, and how many matrices of it a model holds.
 *
 * @param rows rows ({@code out_features} of a linear layer)
 * @param cols columns ({@code in_features})
 * @param count how many such matrices
 */
public record Shape(int rows, int cols, int count) {

  /** The weight matrices of one BERT-base encoder layer: Q, K, V, attention output, FFN in, out. */
  public static final List<Shape> BERT_BASE_LAYER =
      List.of(new Shape(768, 768, 4), new Shape(3072, 768, 1), new Shape(768, 3072, 1));

  /** BERT-base has twelve encoder layers. */
  public static final int BERT_BASE_LAYERS = 12;

  /**
   * Layers that PyTorch's default initialization leaves with a flat spectrum (issue 9): ResNet-18's
   * fc, ViT-B/16's attention projection and MLP, and a 3 x 3 convolution of 512 channels as a
   * matrix.
   */
  public static final List<Shape> DEFAULT_INIT =
      List.of(
          new Shape(1000, 512, 1),
          new Shape(768, 768, 1),
          new Shape(3072, 768, 1),
          new Shape(512, 4608, 1));

  /** The square matrix of the exact-SVD comparison. */
  public static final Shape SQUARE_2048 = new Shape(2048, 2048, 1);

  /** Checks the sizes. */
  public Shape {
    if (rows < 1 || cols < 1 || count < 1) {
      throw new IllegalArgumentException(
          "a shape needs positive sizes and count, got " + rows + "x" + cols + " x" + count);
    }
  }

  /**
   * Returns {@code "rows x cols"} as the reference script spells it.
   *
   * @return e.g. {@code 768x3072}
   */
  public String label() {
    return rows + "x" + cols;
  }
}
