package dev.lowrank.eval.sweep;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.eval.sweep.internal.SweepRunner;
import dev.lowrank.io.InputFileException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Compresses a model at each of several settings (ranks 4, 8, 16, 32, or energies 0.8, 0.9, 0.99)
 * and evaluates every result on the same data: the curve of accuracy against parameters.
 *
 * <pre>{@code
 * SweepResult curve = Sweep.builder()
 *     .setModel(Path.of("mlp"))
 *     .setData(DataSource.file(Path.of("test.csv"), DataOptions.defaults()))
 *     .setPolicies(List.of(RankPolicy.rank(4), RankPolicy.rank(8), RankPolicy.rank(16)))
 *     .build().run();
 * }</pre>
 */
public final class Sweep {

  private final Settings settings;
  private final List<RankPolicy> policies;

  private Sweep(Settings settings, List<RankPolicy> policies) {
    this.settings = settings;
    this.policies = policies;
  }

  /**
   * Starts a builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Runs the sweep.
   *
   * @return one point per setting, in the order given
   * @throws InputFileException if the model or data cannot be used, or a compressed model fails
   * @throws IOException if a compressed model cannot be written
   * @throws IllegalArgumentException if a setting does not fit the model (e.g. a rank above every
   *     layer's)
   */
  public SweepResult run() throws InputFileException, IOException {
    try (SweepRunner runner = settings.open()) {
      List<SweepPoint> points = new ArrayList<>();
      try (Progress.Step step = settings.progress.start("sweep", policies.size())) {
        for (RankPolicy policy : policies) {
          points.add(runner.evaluate(policy));
          step.advance(1);
        }
      }
      return runner.result(points);
    }
  }

  /** The settings a sweep and a search share. */
  static final class Settings {
    Path model;
    DataSource data;
    Optional<SampleShape> inputShape = Optional.empty();
    Optional<Pooling> pooling = Optional.empty();
    int batchSize = 64;
    Function<RankPolicy, CompressionSpec> specs =
        p -> CompressionSpec.builder().setPolicy(p).build();
    Optional<Path> workDirectory = Optional.empty();
    Progress progress = Progress.none();

    void validate() {
      if (model == null) {
        throw new IllegalArgumentException("Set the model to compress with setModel");
      }
      if (data == null) {
        throw new IllegalArgumentException("Set the evaluation data with setData");
      }
      if (batchSize < 1) {
        throw new IllegalArgumentException("The batch size must be at least 1, got " + batchSize);
      }
    }

    SweepRunner open() throws InputFileException, IOException {
      return new SweepRunner(
          model, data, inputShape, pooling, batchSize, specs, workDirectory, progress);
    }
  }

  /** Builds a {@link Sweep}: {@code set*} is required, {@code opt*} optional. */
  public static final class Builder extends SweepBuilder<Builder> {

    private List<RankPolicy> policies;

    private Builder() {}

    @Override
    protected Builder self() {
      return this;
    }

    /**
     * Sets the settings to try (required).
     *
     * @param policies e.g. ranks 4, 8, 16, 32
     * @return this builder
     */
    public Builder setPolicies(List<RankPolicy> policies) {
      this.policies = List.copyOf(policies);
      return this;
    }

    /**
     * Checks and builds the sweep.
     *
     * @return the sweep
     * @throws IllegalArgumentException if a required setting is missing
     */
    public Sweep build() {
      settings.validate();
      if (policies == null || policies.isEmpty()) {
        throw new IllegalArgumentException("Give at least one setting with setPolicies");
      }
      return new Sweep(settings, policies);
    }
  }
}
