package dev.lowrank.finetune.internal;

import ai.djl.nn.Parameter;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;

/**
 * The two trained parameters of one factorized layer of the student.
 *
 * @param layer the layer's name
 * @param a the first factor {@code A}, r x m
 * @param b the second factor {@code B}, n x r
 */
public record TrainableFactors(String layer, Parameter a, Parameter b) {

  /**
   * Reads the current values into heap matrices.
   *
   * @return the factors
   */
  public LowRankFactors read() {
    return new LowRankFactors(matrix(a), matrix(b));
  }

  /**
   * Copies the current values.
   *
   * @return {@code A}'s values then {@code B}'s, row-major
   */
  public float[][] snapshot() {
    return new float[][] {a.getArray().toFloatArray(), b.getArray().toFloatArray()};
  }

  /**
   * Builds factors of this layer's shapes from a snapshot.
   *
   * @param values what {@link #snapshot()} returned
   * @return the factors
   */
  public LowRankFactors from(float[][] values) {
    long[] as = a.getArray().getShape().getShape();
    long[] bs = b.getArray().getShape().getShape();
    return new LowRankFactors(
        FloatMatrix.wrap((int) as[0], (int) as[1], values[0]),
        FloatMatrix.wrap((int) bs[0], (int) bs[1], values[1]));
  }

  private static FloatMatrix matrix(Parameter p) {
    long[] shape = p.getArray().getShape().getShape();
    return FloatMatrix.wrap((int) shape[0], (int) shape[1], p.getArray().toFloatArray());
  }
}
