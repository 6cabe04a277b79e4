package dev.lowrank.finetune;

/**
 * Hears how fine-tuning advances, to show a progress bar: each epoch's start, each training step's
 * loss, and each epoch's held-out check. Called on the fine-tuning thread; {@link #none()} ignores
 * everything.
 */
public interface FinetuneProgress {

  /**
   * An epoch starts.
   *
   * @param epoch the epoch, from 1
   * @param epochs the most epochs the run may take
   * @param steps the training steps (batches) of this epoch
   */
  void epochStarted(int epoch, int epochs, int steps);

  /**
   * A training step is done.
   *
   * @param loss the step's loss
   */
  void stepDone(double loss);

  /**
   * An epoch is done and checked on the held-out samples.
   *
   * @param epoch what the epoch did
   */
  void epochEnded(FinetuneEpoch epoch);

  /**
   * Returns a progress listener that ignores everything.
   *
   * @return the silent listener
   */
  static FinetuneProgress none() {
    return new FinetuneProgress() {
      @Override
      public void epochStarted(int epoch, int epochs, int steps) {
        // Nothing to show.
      }

      @Override
      public void stepDone(double loss) {
        // Nothing to show.
      }

      @Override
      public void epochEnded(FinetuneEpoch epoch) {
        // Nothing to show.
      }
    };
  }
}
