package dev.lowrank.zoo;

import ai.djl.ndarray.types.Shape;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.Dataset;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A model of the zoo: either a DJL model that {@link ExampleTrainer} trains (and caches) from its
 * block factory, or a TorchScript file shipped already trained. Obtain examples from {@link
 * Examples}.
 */
public interface Example {

  /**
   * Returns the example's name, e.g. {@code mlp-digits}.
   *
   * @return the name used by {@code lowrank zoo}
   */
  String name();

  /**
   * Returns a one-line description of the architecture.
   *
   * @return the description
   */
  String description();

  /**
   * Returns the data set's name and origin.
   *
   * @return e.g. {@code UCI digits (bundled, CC BY 4.0)}
   */
  String dataset();

  /**
   * Returns the shape of one input sample, without the batch dimension.
   *
   * @return e.g. {@code (64)} or {@code (1, 8, 8)}
   */
  Shape sampleShape();

  /**
   * Returns the training data.
   *
   * @param limit at most this many samples
   * @return labeled samples
   * @throws IOException if the data cannot be read or fetched
   */
  Dataset trainData(int limit) throws IOException;

  /**
   * Returns the held-out test data.
   *
   * @param limit at most this many samples
   * @return labeled samples
   * @throws IOException if the data cannot be read or fetched
   */
  Dataset testData(int limit) throws IOException;

  /**
   * Returns the model: trained with its default plan (or loaded from the cache) for a DJL example,
   * the shipped file for a TorchScript one.
   *
   * @param cacheRoot the cache root
   * @return a DJL model directory or a TorchScript file
   * @throws IOException if training, fetching data or writing the cache fails
   */
  Path model(Path cacheRoot) throws IOException;

  /**
   * Returns whether the example's convolutions are compressed too ({@code --conv}), in the form
   * chosen per layer.
   *
   * @return {@code true} for an example whose point is its convolutions
   */
  default boolean compressesConvolutions() {
    return false;
  }

  /**
   * Returns the compression settings of a policy for this example.
   *
   * @param policy the rank policy
   * @return the spec, with convolutions when {@link #compressesConvolutions()}
   */
  default CompressionSpec spec(RankPolicy policy) {
    return CompressionSpec.builder().setPolicy(policy).optConv(compressesConvolutions()).build();
  }

  /**
   * Returns the default training plan, or empty for a model shipped trained.
   *
   * @return the plan
   */
  Optional<TrainingPlan> training();
}
