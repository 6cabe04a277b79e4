package dev.lowrank.eval.sweep;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.progress.Progress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * The settings a {@link Sweep} and a {@link SmallestModelSearch} share: the model, the data, and
 * how each setting is compressed and evaluated. {@code set*} is required, {@code opt*} optional.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class SweepBuilder<B extends SweepBuilder<B>> {

  final Sweep.Settings settings = new Sweep.Settings();

  SweepBuilder() {}

  /**
   * Returns this builder as its concrete type.
   *
   * @return this
   */
  protected abstract B self();

  /**
   * Sets the model to compress.
   *
   * @param model a TorchScript file or DJL model directory
   * @return this builder
   */
  public B setModel(Path model) {
    settings.model = model;
    return self();
  }

  /**
   * Sets the evaluation data.
   *
   * @param data where to read it
   * @return this builder
   */
  public B setData(DataSource data) {
    settings.data = data;
    return self();
  }

  /**
   * Sets data already in memory.
   *
   * @param data the data set
   * @return this builder
   */
  public B setData(Dataset data) {
    return setData(DataSource.of(data));
  }

  /**
   * Sets the per-sample input shape.
   *
   * @param shape the shape
   * @return this builder
   */
  public B optInputShape(SampleShape shape) {
    settings.inputShape = Optional.of(shape);
    return self();
  }

  /**
   * Pools a text encoder's per-token outputs ({@code batch x tokens x hidden}) into sentence
   * embeddings before each compressed model is compared with the original (default: outputs as the
   * models return them). Fidelity (the cosine of the outputs, the top-1 agreement) is then measured
   * on the embeddings, and labels play no part: there is no accuracy.
   *
   * @param pooling {@link Pooling#MEAN} (sentence-transformers) or {@link Pooling#CLS}
   * @return this builder
   */
  public B optPooling(Pooling pooling) {
    settings.pooling = Optional.of(pooling);
    return self();
  }

  /**
   * Sets the batch size of the accuracy passes (default 64).
   *
   * @param batchSize at least 1
   * @return this builder
   */
  public B optBatchSize(int batchSize) {
    settings.batchSize = batchSize;
    return self();
  }

  /**
   * Sets how a policy becomes a compression spec (default: the policy alone).
   *
   * @param specs the spec for each policy
   * @return this builder
   */
  public B optSpecs(Function<RankPolicy, CompressionSpec> specs) {
    settings.specs = specs;
    return self();
  }

  /**
   * Keeps the evaluated models in a directory (default: a temporary one, deleted at the end).
   *
   * @param dir the directory
   * @return this builder
   */
  public B optWorkDirectory(Path dir) {
    settings.workDirectory = Optional.of(dir);
    return self();
  }

  /**
   * Sets where progress is reported.
   *
   * @param progress the progress
   * @return this builder
   */
  public B optProgress(Progress progress) {
    settings.progress = progress;
    return self();
  }
}
