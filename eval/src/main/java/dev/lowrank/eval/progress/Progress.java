package dev.lowrank.eval.progress;

/**
 * Reports the progress of long steps (batches of an accuracy pass, latency rounds, sweep settings).
 * Get one from {@link ProgressBars}; {@link #none()} reports nothing.
 */
public interface Progress {

  /**
   * Starts a step.
   *
   * @param label what is being done, e.g. {@code "accuracy original"}
   * @param total the number of units the step takes (batches, rounds), at least 1
   * @return the step, to be advanced and closed by the caller
   */
  Step start(String label, long total);

  /**
   * Returns a progress that shows nothing.
   *
   * @return the silent progress
   */
  static Progress none() {
    return (label, total) ->
        new Step() {
          @Override
          public void advance(long units) {
            // Nothing to show.
          }

          @Override
          public void close() {
            // Nothing to clear.
          }
        };
  }

  /** One step under way. */
  interface Step extends AutoCloseable {

    /**
     * Records that some units are done.
     *
     * @param units how many, at least 0
     */
    void advance(long units);

    /** Ends the step, clearing what was shown. */
    @Override
    void close();
  }
}
