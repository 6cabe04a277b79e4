package dev.lowrank.finetune.internal;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.lowrank.data.SampleShape;
import java.util.List;
import java.util.Optional;

/**
 * A model loaded in DJL for fine-tuning: the original model (the teacher, run for its outputs) or
 * the factorized one (the student, whose factors are trained). Always run in inference mode
 * (dropout off, batch-norm statistics fixed), so that what is trained is what is written; the
 * student's forward records gradients when a gradient collector is open.
 */
public interface TrainingModel extends AutoCloseable {

  /**
   * Returns the manager that owns the model's arrays; each step's arrays go to a sub-manager.
   *
   * @return the model's manager
   */
  NDManager manager();

  /**
   * Runs the model on a batch.
   *
   * @param step the manager of this step's arrays
   * @param inputs the model's inputs, in order
   * @return the outputs
   */
  NDList forward(NDManager step, NDList inputs);

  /**
   * Returns the per-sample input shape the model stores (DJL block models), if any.
   *
   * @return the stored shape
   */
  Optional<SampleShape> storedInputShape();

  /**
   * Returns the factors being trained (empty for the teacher).
   *
   * @return one entry per factorized layer, in model order
   */
  List<TrainableFactors> factors();

  @Override
  void close();
}
