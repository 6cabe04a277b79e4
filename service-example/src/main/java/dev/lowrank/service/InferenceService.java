package dev.lowrank.service;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * An example inference service, the way a user serves a compressed model: the model is loaded once
 * through DJL {@link Criteria} (a compressed DJL model needs only the small lowrank runtime jar on
 * the classpath, not the compressor; a compressed TorchScript file needs nothing), and requests are
 * served by a fixed pool of worker threads, each with its own {@link Predictor} (DJL predictors are
 * not thread-safe).
 *
 * <pre>{@code
 * try (InferenceService service = InferenceService.open(Path.of("mlp-r64"), new Shape(784), 4)) {
 *   int digit = service.classify(pixels);
 * }
 * }</pre>
 */
public final class InferenceService implements AutoCloseable {

  private final ZooModel<NDList, NDList> model;
  private final Shape sampleShape;
  private final ExecutorService workers;
  private final ThreadLocal<Predictor<NDList, NDList>> predictor;
  private final List<Predictor<NDList, NDList>> predictors = new CopyOnWriteArrayList<>();

  private InferenceService(ZooModel<NDList, NDList> model, Shape sampleShape, int threads) {
    this.model = model;
    this.sampleShape = sampleShape;
    this.workers =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "inference");
              t.setDaemon(true);
              return t;
            });
    this.predictor =
        ThreadLocal.withInitial(
            () -> {
              Predictor<NDList, NDList> p = model.newPredictor();
              predictors.add(p);
              return p;
            });
  }

  /**
   * Loads a model (DJL model directory or TorchScript file) and starts the workers.
   *
   * @param path the model
   * @param sampleShape the shape of one input sample
   * @param threads worker threads, each with its own predictor
   * @return the service
   * @throws IOException if the model cannot be loaded
   */
  public static InferenceService open(Path path, Shape sampleShape, int threads)
      throws IOException {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    Criteria<NDList, NDList> criteria =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(path)
            .optEngine("PyTorch")
            .optTranslator(new NoopTranslator())
            .build();
    try {
      return new InferenceService(criteria.loadModel(), sampleShape, threads);
    } catch (ModelNotFoundException | MalformedModelException e) {
      throw new IOException(path + ": cannot be loaded (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Returns the model's outputs (class scores) for one sample, computed on a worker thread.
   *
   * @param sample the sample's features, {@code sampleShape.size()} values
   * @return the scores
   * @throws IOException if the model fails on the sample
   */
  public float[] predict(float[] sample) throws IOException {
    Future<float[]> result = workers.submit(() -> run(sample));
    try {
      return result.get();
    } catch (ExecutionException e) {
      throw new IOException("Inference failed: " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("Interrupted while waiting for inference", e);
    }
  }

  /**
   * Returns the most likely class of one sample.
   *
   * @param sample the sample's features
   * @return the arg-max of the scores
   * @throws IOException if the model fails on the sample
   */
  public int classify(float[] sample) throws IOException {
    float[] scores = predict(sample);
    int best = 0;
    for (int i = 1; i < scores.length; i++) {
      if (scores[i] > scores[best]) {
        best = i;
      }
    }
    return best;
  }

  private float[] run(float[] sample) throws TranslateException {
    if (sample.length != sampleShape.size()) {
      throw new IllegalArgumentException(
          "A sample needs " + sampleShape.size() + " values, got " + sample.length);
    }
    try (NDManager manager = model.getNDManager().newSubManager()) {
      NDList input = new NDList(manager.create(sample, new Shape(1).addAll(sampleShape)));
      NDList out = predictor.get().predict(input);
      out.attach(manager);
      return out.head().toFloatArray();
    }
  }

  @Override
  public void close() {
    workers.shutdownNow();
    predictors.forEach(Predictor::close);
    model.close();
  }
}
