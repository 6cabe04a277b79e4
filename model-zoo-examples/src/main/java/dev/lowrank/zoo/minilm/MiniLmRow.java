package dev.lowrank.zoo.minilm;

import dev.lowrank.eval.latency.LatencyComparison;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One model of the {@code minilm} table: the original, or one method at one share of the encoder's
 * linear weights, with what it costs and what it keeps.
 *
 * @param share the share asked for, empty for the original
 * @param method the method, empty for the original
 * @param ranks the mean rank of each kind of encoder layer ({@link MiniLmRanks})
 * @param encoderParameters the parameters of the 36 encoder linear layers (weights and biases)
 * @param modelParameters every parameter of the model
 * @param fileBytes the size of the ONNX file
 * @param recallAt1 subject-to-body retrieval, recall@1
 * @param recallAt10 recall@10
 * @param mrr the mean reciprocal rank
 * @param accuracy spam/ham accuracy of the head fitted on the original's embeddings
 * @param cosineMean the mean cosine of each measured text's embedding to the original's
 * @param cosineMin the lowest such cosine
 * @param latency original and this model timed interleaved, per batch size; empty for the original
 *     or without latency
 * @param compressSeconds the wall time of the compression, empty for the original
 */
public record MiniLmRow(
    OptionalDouble share,
    Optional<MiniLmMethod> method,
    String ranks,
    long encoderParameters,
    long modelParameters,
    long fileBytes,
    double recallAt1,
    double recallAt10,
    double mrr,
    double accuracy,
    double cosineMean,
    double cosineMin,
    List<LatencyComparison> latency,
    OptionalDouble compressSeconds) {

  /** Copies the latency list. */
  public MiniLmRow {
    latency = List.copyOf(latency);
  }

  /**
   * Returns the row's label, e.g. {@code 0.5 whitened} or {@code original}.
   *
   * @return the label
   */
  public String label() {
    return method
        .map(m -> MiniLmReport.share(share.getAsDouble()) + " " + m.cliName())
        .orElse("original");
  }

  /**
   * Returns the latency comparison at a batch size.
   *
   * @param batchSize the batch size
   * @return the comparison, empty if that size was not timed
   */
  public Optional<LatencyComparison> latencyAt(int batchSize) {
    return latency.stream().filter(c -> c.batchSize() == batchSize).findFirst();
  }
}
