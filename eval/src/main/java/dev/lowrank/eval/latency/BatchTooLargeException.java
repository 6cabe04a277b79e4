package dev.lowrank.eval.latency;

/**
 * A latency batch size whose arrays cannot be held: a batch's input or output values are more than
 * one Java array holds, or all of them more than the Java heap may grow to. Misuse of the batch
 * size, not of the data: {@link #batchSize()} is the size asked for, {@link #largestFitting()} the
 * largest that would fit, so that a caller can name its own option.
 */
public final class BatchTooLargeException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final int batchSize;
  private final int largestFitting;

  /**
   * Creates the exception.
   *
   * @param batchSize the batch size asked for
   * @param largestFitting the largest batch size whose arrays fit (at least 0)
   * @param message what does not fit, one sentence
   */
  public BatchTooLargeException(int batchSize, int largestFitting, String message) {
    super(message);
    this.batchSize = batchSize;
    this.largestFitting = largestFitting;
  }

  /**
   * Returns the batch size asked for.
   *
   * @return the batch size
   */
  public int batchSize() {
    return batchSize;
  }

  /**
   * Returns the largest batch size whose arrays fit.
   *
   * @return the largest fitting batch size, 0 when not even one sample fits
   */
  public int largestFitting() {
    return largestFitting;
  }
}
