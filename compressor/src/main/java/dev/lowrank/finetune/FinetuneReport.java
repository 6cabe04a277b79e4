package dev.lowrank.finetune;

import java.util.List;
import java.util.Locale;

/**
 * What a fine-tuning did, as the manifest records it: the data (name and SHA-256), the split, the
 * loss, the settings, each epoch's losses and held-out fidelity, the epoch whose factors were kept,
 * and the held-out loss and fidelity before (the truncated factors) and after (the kept ones).
 *
 * @param dataName the data set's name (its file name)
 * @param dataSha256 SHA-256 of the data file (for a folder, of its files in name order; for data in
 *     memory, of its model inputs and labels)
 * @param trainSamples the samples trained on
 * @param heldOutSamples the samples held out to check each epoch (never trained on)
 * @param loss what was minimized
 * @param fidelity how the held-out samples were scored
 * @param learningRate Adam's learning rate
 * @param batchSize samples per training step
 * @param maxEpochs the most epochs allowed
 * @param patience epochs without a held-out improvement before stopping early
 * @param temperature the softmax temperature of the {@code kl} loss (recorded whatever the loss)
 * @param seed the seed of the split and the shuffling
 * @param layers the layers whose factors were trained, in model order
 * @param heldOutLossBefore the held-out loss of the truncated factors
 * @param fidelityBefore the held-out fidelity of the truncated factors
 * @param heldOutLossAfter the held-out loss of the kept factors
 * @param fidelityAfter the held-out fidelity of the kept factors
 * @param epochs every epoch run, in order
 * @param bestEpoch the epoch whose factors were kept, 0 when no epoch beat the truncated factors
 *     (which are then kept)
 * @param stoppedEarly whether the run stopped before {@code maxEpochs} for lack of improvement
 * @param seconds the wall time of the whole fine-tuning, loading and the original's outputs
 *     included
 */
public record FinetuneReport(
    String dataName,
    String dataSha256,
    int trainSamples,
    int heldOutSamples,
    FinetuneLoss loss,
    Fidelity fidelity,
    double learningRate,
    int batchSize,
    int maxEpochs,
    int patience,
    double temperature,
    long seed,
    List<String> layers,
    double heldOutLossBefore,
    double fidelityBefore,
    double heldOutLossAfter,
    double fidelityAfter,
    List<FinetuneEpoch> epochs,
    int bestEpoch,
    boolean stoppedEarly,
    double seconds) {

  /** How held-out samples are scored; higher is better. */
  public enum Fidelity {
    /** The share of samples whose top-1 class is the original model's (distilling a classifier). */
    AGREEMENT,
    /** The share of samples whose top-1 class is their label (training on labels). */
    ACCURACY,
    /** The mean cosine similarity of the pooled outputs to the original model's. */
    COSINE;

    /**
     * Returns the name the manifest uses.
     *
     * @return e.g. {@code agreement}
     */
    public String jsonName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a manifest name.
     *
     * @param name e.g. {@code cosine}
     * @return the fidelity
     * @throws IllegalArgumentException for an unknown name
     */
    public static Fidelity parse(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT));
    }
  }

  /** Copies the lists. */
  public FinetuneReport {
    layers = List.copyOf(layers);
    epochs = List.copyOf(epochs);
  }

  /**
   * Returns the mean wall time of an epoch.
   *
   * @return seconds per epoch, 0 when no epoch ran
   */
  public double secondsPerEpoch() {
    return epochs.isEmpty()
        ? 0
        : epochs.stream().mapToDouble(FinetuneEpoch::seconds).sum() / epochs.size();
  }

  /**
   * Returns a one-line summary, e.g. {@code "fine-tuned fc1, fc2 on train.csv (kl, 6 epochs, best
   * 4): held-out agreement 91.7% -> 99.3%"}.
   *
   * @return the summary
   */
  public String summary() {
    boolean share = fidelity != Fidelity.COSINE;
    return String.format(
        Locale.ROOT,
        "fine-tuned %d layer%s on %s (%s, %d epoch%s at %.2f s, %s): held-out %s %s -> %s",
        layers.size(),
        layers.size() == 1 ? "" : "s",
        dataName,
        loss.cliName(),
        epochs.size(),
        epochs.size() == 1 ? "" : "s",
        secondsPerEpoch(),
        bestEpoch == 0 ? "no epoch beat the truncated factors" : "kept epoch " + bestEpoch,
        fidelity.jsonName(),
        share
            ? String.format(Locale.ROOT, "%.2f%%", 100 * fidelityBefore)
            : String.format(Locale.ROOT, "%.4f", fidelityBefore),
        share
            ? String.format(Locale.ROOT, "%.2f%%", 100 * fidelityAfter)
            : String.format(Locale.ROOT, "%.4f", fidelityAfter));
  }
}
