package dev.lowrank.finetune.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.lowrank.data.DataFileException;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.finetune.FinetuneEpoch;
import dev.lowrank.finetune.FinetuneLoss;
import dev.lowrank.finetune.FinetuneOutcome;
import dev.lowrank.finetune.FinetuneReport;
import dev.lowrank.finetune.FinetuneReport.Fidelity;
import dev.lowrank.finetune.FinetuneSpec;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.LowRankFactors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * One fine-tuning: loads the data, runs the original model once over it for the targets
 * (distillation), then trains the student's factors with Adam, scoring the held-out samples before
 * training and after each epoch, keeping the best epoch and stopping when {@link
 * FinetuneSpec#patience()} epochs in a row do not improve it.
 *
 * <p>Every step's arrays live in a sub-manager closed at the end of the step; what persists across
 * steps is the student itself, the gradients PyTorch keeps on its factors and Adam's two moments
 * per factor, so native memory stays flat over epochs.
 */
public final class FinetuneRun {

  private final SourceModel source;
  private final Map<String, LowRankFactors> start;
  private final FinetuneSpec spec;

  private Batches batches;
  private FinetuneLoss loss;
  private Fidelity fidelity;
  private int width;
  private float[] targets;
  private int[] labels;
  private int classes;

  private FinetuneRun(SourceModel source, Map<String, LowRankFactors> start, FinetuneSpec spec) {
    this.source = source;
    this.start = start;
    this.spec = spec;
  }

  /**
   * Fine-tunes factors.
   *
   * @param source the opened model, unchanged (the original)
   * @param factors the factors to start from, by layer name in model order
   * @param spec the settings
   * @return the kept factors and the report
   * @throws ModelFileException if the model cannot be loaded for training
   * @throws DataFileException if the data is missing, malformed, too small, unlabeled when labels
   *     are needed, non-finite, or does not fit the model
   * @throws IOException if a temporary file cannot be written
   * @throws IllegalArgumentException if the format cannot be trained in Java, nothing is
   *     factorized, the loss does not fit the model's output, or training diverges
   */
  public static FinetuneOutcome run(
      SourceModel source, Map<String, LowRankFactors> factors, FinetuneSpec spec)
      throws ModelFileException, DataFileException, IOException {
    TrainingModels.check(source.format().name());
    if (factors.isEmpty()) {
      throw new IllegalArgumentException(
          "no layer was factorized, so there are no factors to fine-tune; choose a smaller rank"
              + " or drop fine-tuning");
    }
    return new FinetuneRun(source, factors, spec).execute();
  }

  private FinetuneOutcome execute() throws ModelFileException, DataFileException, IOException {
    long t0 = System.nanoTime();
    boolean distill = spec.loss().map(FinetuneLoss::distills).orElse(true);
    TrainingModel student = null;
    try {
      if (distill) {
        try (TrainingModel teacher = TrainingModels.teacher(source)) {
          batches = load(teacher.storedInputShape());
          distillTargets(teacher);
        }
        student = TrainingModels.student(source, start);
      } else {
        student = TrainingModels.student(source, start);
        batches = load(student.storedInputShape());
        labelTargets(student);
      }
      String sha256 = DataFingerprint.of(spec.data(), batches);
      return train(student, sha256, t0);
    } finally {
      if (student != null) {
        student.close();
      }
    }
  }

  private Batches load(Optional<SampleShape> stored) throws ModelFileException, DataFileException {
    Optional<SampleShape> hint = spec.inputShape().or(() -> stored);
    Dataset data = spec.data().load(hint);
    if (data.size() < 2) {
      throw new DataFileException(
          data.source(),
          "has "
              + data.size()
              + " sample; fine-tuning needs at least 2 (some are held out to check each epoch)");
    }
    Dataset ordered = data.hasFeatureRows() ? data : inModelOrder(data);
    SampleShape shape =
        hint.or(() -> ordered.shape()).orElseGet(() -> SampleShape.flat(ordered.featureCount()));
    return new Batches(ordered, shape);
  }

  /**
   * Puts named inputs (token ids, attention masks, arrays of an {@code .npz}) in the order of the
   * model's forward arguments, as calibration does: the models take them by position, so data
   * listing {@code attention_mask} before {@code input_ids} would otherwise feed each into the
   * other's place. Optional inputs the model does not take ({@code token_type_ids}) are left out.
   */
  private Dataset inModelOrder(Dataset data) throws ModelFileException, DataFileException {
    List<String> names;
    try (ModelRunner runner = source.runner(Set.of())) {
      names = runner.inputNames();
    }
    if (names.size() == 1 && data.inputs().size() == 1) {
      return data;
    }
    return data.forModelInputs(names);
  }

  /** Runs the teacher over every sample and keeps its output rows; chooses the default loss. */
  private void distillTargets(TrainingModel teacher) throws DataFileException {
    Dataset data = batches.data();
    int n = data.size();
    int[] all = range(n);
    int done = 0;
    for (int[] rows : Batches.chunks(all, spec.batchSize())) {
      try (NDManager step = teacher.manager().newSubManager()) {
        NDList in = batches.inputs(rows, step);
        NDList out = run(teacher, step, in);
        if (targets == null) {
          int rank = out.head().getShape().dimension();
          loss = spec.loss().orElse(rank >= 3 ? FinetuneLoss.COSINE : FinetuneLoss.KL);
          fidelity = loss == FinetuneLoss.KL ? Fidelity.AGREEMENT : Fidelity.COSINE;
        }
        float[] r = Outputs.rows(out, in).toFloatArray();
        if (targets == null) {
          width = r.length / rows.length;
          targets = new float[Math.multiplyExact(n, width)];
          if (loss == FinetuneLoss.KL && width < 2) {
            throw new IllegalArgumentException(
                "the model has one output per sample; the kl loss needs class scores, use"
                    + " cosine or mse");
          }
        }
        System.arraycopy(r, 0, targets, done * width, r.length);
        done += rows.length;
      }
    }
  }

  /** Reads the labels and checks them against the student's outputs. */
  private void labelTargets(TrainingModel student) throws DataFileException {
    Dataset data = batches.data();
    if (!data.labeled()) {
      throw new DataFileException(
          data.source(),
          "has no labels; training on labels needs a label per sample (or distill without"
              + " labels)");
    }
    loss = FinetuneLoss.CROSS_ENTROPY;
    fidelity = Fidelity.ACCURACY;
    labels = data.labels().orElseThrow();
    int[] first = {0};
    try (NDManager step = student.manager().newSubManager()) {
      NDList in = batches.inputs(first, step);
      NDList out = run(student, step, in);
      Shape shape = out.head().getShape();
      if (shape.dimension() != 2) {
        throw new IllegalArgumentException(
            "training on labels needs a classifier's [batch, classes] output; the model returns "
                + shape
                + " (distill without labels instead)");
      }
      classes = (int) shape.get(1);
    }
    width = classes;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] >= classes) {
        throw new DataFileException(
            data.source(),
            "sample "
                + i
                + " has label "
                + labels[i]
                + " but the model has "
                + classes
                + " outputs");
      }
    }
  }

  private NDList run(TrainingModel model, NDManager step, NDList in) throws DataFileException {
    try {
      return model.forward(step, in);
    } catch (RuntimeException e) {
      String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      List<String> shapes = new ArrayList<>();
      for (NDArray a : in) {
        shapes.add(a.getName() + " " + a.getShape());
      }
      throw new DataFileException(
          batches.data().source(),
          "its samples do not fit the model "
              + source.path()
              + " (inputs "
              + shapes
              + ": "
              + msg.replaceAll("\\s+", " ").trim()
              + "); give the model's per-sample input shape (--input-shape, e.g. 1x8x8)",
          e);
    }
  }

  private FinetuneOutcome train(TrainingModel student, String sha256, long t0)
      throws DataFileException {
    int n = batches.data().size();
    int[] heldOut = heldOutRows(n, spec.heldOut(), spec.seed());
    int[] train = trainRows(n, heldOut);

    Score before = score(student, heldOut);
    Score best = before;
    int bestEpoch = 0;
    Map<String, float[][]> kept = null;
    Optimizer adam =
        Optimizer.adam().optLearningRateTracker(Tracker.fixed(spec.learningRate())).build();
    List<FinetuneEpoch> epochs = new ArrayList<>();
    int stale = 0;
    boolean stoppedEarly = false;
    Random shuffler = new Random(spec.seed() + 1);
    for (int epoch = 1; epoch <= spec.epochs(); epoch++) {
      long e0 = System.nanoTime();
      shuffle(train, shuffler);
      List<int[]> steps = Batches.chunks(train, spec.batchSize());
      spec.progress().epochStarted(epoch, spec.epochs(), steps.size());
      double sum = 0;
      for (int[] rows : steps) {
        double value = step(student, adam, rows, epoch);
        sum += value * rows.length;
        spec.progress().stepDone(value);
      }
      Score score = score(student, heldOut);
      FinetuneEpoch record =
          new FinetuneEpoch(
              epoch,
              sum / train.length,
              score.loss,
              score.fidelity,
              (System.nanoTime() - e0) / 1e9);
      epochs.add(record);
      spec.progress().epochEnded(record);
      if (score.betterThan(best)) {
        best = score;
        bestEpoch = epoch;
        kept = snapshot(student);
        stale = 0;
      } else if (++stale >= spec.patience()) {
        stoppedEarly = epoch < spec.epochs();
        break;
      }
    }
    Map<String, LowRankFactors> factors = new LinkedHashMap<>();
    for (TrainableFactors f : student.factors()) {
      factors.put(f.layer(), kept == null ? start.get(f.layer()) : f.from(kept.get(f.layer())));
    }
    FinetuneReport report =
        new FinetuneReport(
            batches.data().name(),
            sha256,
            train.length,
            heldOut.length,
            loss,
            fidelity,
            Double.parseDouble(Float.toString(spec.learningRate())),
            spec.batchSize(),
            spec.epochs(),
            spec.patience(),
            Double.parseDouble(Float.toString(spec.temperature())),
            spec.seed(),
            List.copyOf(factors.keySet()),
            before.loss,
            before.fidelity,
            best.loss,
            best.fidelity,
            epochs,
            bestEpoch,
            stoppedEarly,
            (System.nanoTime() - t0) / 1e9);
    return new FinetuneOutcome(factors, report);
  }

  /** One training step: forward with gradients, backward, one Adam update of every factor. */
  private double step(TrainingModel student, Optimizer adam, int[] rows, int epoch)
      throws DataFileException {
    try (NDManager step = student.manager().newSubManager()) {
      NDList in = batches.inputs(rows, step);
      NDArray target = target(rows, step);
      double value;
      try (GradientCollector collector = step.getEngine().newGradientCollector()) {
        NDArray out = Outputs.rows(student.forward(step, in), in);
        NDArray l = Losses.of(loss, spec.temperature(), out, target);
        value = l.getFloat();
        if (!Double.isFinite(value)) {
          throw new IllegalArgumentException(
              String.format(
                  Locale.ROOT,
                  "fine-tuning diverged in epoch %d (the %s loss became %s); lower the learning"
                      + " rate (now %s)",
                  epoch,
                  loss.cliName(),
                  value,
                  spec.learningRate()));
        }
        collector.backward(l);
      }
      for (TrainableFactors f : student.factors()) {
        update(adam, f.a());
        update(adam, f.b());
      }
      return value;
    }
  }

  private static void update(Optimizer adam, ai.djl.nn.Parameter parameter) {
    NDArray weight = parameter.getArray();
    try (NDArray gradient = weight.getGradient()) {
      adam.update(parameter.getId(), weight, gradient);
      // PyTorch adds each backward's gradient to the last one: start the next step from zero.
      gradient.subi(gradient);
    }
  }

  /** The held-out loss and fidelity of the student as it is. */
  private Score score(TrainingModel student, int[] heldOut) throws DataFileException {
    double lossSum = 0;
    double fidelitySum = 0;
    for (int[] rows : Batches.chunks(heldOut, spec.batchSize())) {
      try (NDManager step = student.manager().newSubManager()) {
        NDList in = batches.inputs(rows, step);
        NDArray out = Outputs.rows(run(student, step, in), in);
        NDArray target = target(rows, step);
        lossSum += Losses.of(loss, spec.temperature(), out, target).getFloat() * rows.length;
        float[] s = out.toFloatArray();
        for (int k = 0; k < rows.length; k++) {
          fidelitySum += fidelity(s, k, rows[k]);
        }
      }
    }
    return new Score(lossSum / heldOut.length, fidelitySum / heldOut.length);
  }

  private double fidelity(float[] student, int k, int row) {
    int off = k * width;
    switch (fidelity) {
      case ACCURACY:
        return argmax(student, off, width) == labels[row] ? 1 : 0;
      case AGREEMENT:
        return argmax(student, off, width) == argmax(targets, row * width, width) ? 1 : 0;
      default:
        double dot = 0;
        double ns = 0;
        double nt = 0;
        for (int j = 0; j < width; j++) {
          double a = student[off + j];
          double b = targets[row * width + j];
          dot += a * b;
          ns += a * a;
          nt += b * b;
        }
        return ns == 0 || nt == 0 ? (ns == nt ? 1 : 0) : dot / Math.sqrt(ns * nt);
    }
  }

  /** The teacher's rows, or the one-hot labels, of some samples. */
  private NDArray target(int[] rows, NDManager step) {
    float[] values = new float[Math.multiplyExact(rows.length, width)];
    for (int k = 0; k < rows.length; k++) {
      if (labels != null) {
        values[k * width + labels[rows[k]]] = 1f;
      } else {
        System.arraycopy(targets, rows[k] * width, values, k * width, width);
      }
    }
    return step.create(values, new Shape(rows.length, width));
  }

  private static Map<String, float[][]> snapshot(TrainingModel student) {
    Map<String, float[][]> values = new LinkedHashMap<>();
    for (TrainableFactors f : student.factors()) {
      values.put(f.layer(), f.snapshot());
    }
    return values;
  }

  private static int argmax(float[] v, int off, int len) {
    int best = 0;
    for (int j = 1; j < len; j++) {
      if (v[off + j] > v[off + best]) {
        best = j;
      }
    }
    return best;
  }

  /**
   * Returns the samples held out of a fine-tuning: a seeded shuffle's first {@code share} of them,
   * at least one, leaving at least one to train on.
   *
   * @param n the number of samples, at least 2
   * @param share the share to hold out
   * @param seed the seed
   * @return the held-out sample indices
   */
  static int[] heldOutRows(int n, double share, long seed) {
    int[] order = range(n);
    shuffle(order, new Random(seed));
    int held = (int) Math.max(1, Math.min(n - 1, Math.round(n * share)));
    return java.util.Arrays.copyOf(order, held);
  }

  private static int[] trainRows(int n, int[] heldOut) {
    boolean[] out = new boolean[n];
    for (int i : heldOut) {
      out[i] = true;
    }
    int[] train = new int[n - heldOut.length];
    int k = 0;
    for (int i = 0; i < n; i++) {
      if (!out[i]) {
        train[k++] = i;
      }
    }
    return train;
  }

  private static int[] range(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) {
      r[i] = i;
    }
    return r;
  }

  private static void shuffle(int[] a, Random random) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** A held-out score: higher fidelity is better, then lower loss. */
  private record Score(double loss, double fidelity) {
    boolean betterThan(Score other) {
      double eps = 1e-9;
      if (fidelity > other.fidelity + eps) {
        return true;
      }
      return fidelity >= other.fidelity - eps && loss < other.loss - eps;
    }
  }
}
