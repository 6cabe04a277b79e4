package dev.lowrank.compress.internal;

import dev.lowrank.compress.Calibration;
import dev.lowrank.data.DataFileException;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.data.Tensor;
import dev.lowrank.io.Fingerprint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The calibration samples as the batches a model runner takes: read once, capped, split into
 * batches, each batch's tensors put in the order of the model's inputs and checked (names, finite
 * values). Every problem with the data is a {@link DataFileException} naming the data.
 */
final class CalibrationBatches {

  private final Path source;
  private final Optional<String> sha256;
  private final List<List<Tensor>> batches;
  private final int samples;
  private final Optional<String> mask;

  private CalibrationBatches(
      Path source,
      Optional<String> sha256,
      List<List<Tensor>> batches,
      int samples,
      Optional<String> mask) {
    this.source = source;
    this.sha256 = sha256;
    this.batches = batches;
    this.samples = samples;
    this.mask = mask;
  }

  /**
   * Reads the calibration data for a model.
   *
   * @param calibration the calibration settings
   * @param inputNames the model's inputs, in the order its runner takes them
   * @param modelShape the per-sample shape the model stores, if any
   * @return the batches
   * @throws DataFileException if the data cannot be read, is empty, or does not fit the inputs
   */
  static CalibrationBatches open(
      Calibration calibration, List<String> inputNames, Optional<SampleShape> modelShape)
      throws DataFileException {
    if (calibration.data().isPresent()) {
      return fromDataset(calibration, inputNames, modelShape);
    }
    return fromTensors(calibration, inputNames);
  }

  private static CalibrationBatches fromDataset(
      Calibration calibration, List<String> inputNames, Optional<SampleShape> modelShape)
      throws DataFileException {
    Path path = calibration.data().get().path();
    Optional<SampleShape> known = calibration.inputShape().or(() -> modelShape);
    Dataset data = calibration.data().get().load(known);
    SampleShape shape =
        known.or(data::shape).orElseGet(() -> SampleShape.flat(data.featureCount()));
    if (shape.size() != data.featureCount()) {
      throw new DataFileException(
          data.source(),
          "shape mismatch: calibration samples hold "
              + data.featureCount()
              + " values but the model takes "
              + shape
              + " = "
              + shape.size()
              + " per sample; give the model's per-sample input shape (--input-shape)");
    }
    int n = Math.min(calibration.samples(), data.size());
    List<List<Tensor>> batches = new ArrayList<>();
    for (int start = 0; start < n; start += calibration.batchSize()) {
      int count = Math.min(calibration.batchSize(), n - start);
      batches.add(data.batch(start, count, shape));
    }
    return finish(path, hash(path), batches, calibration, inputNames);
  }

  private static CalibrationBatches fromTensors(Calibration calibration, List<String> inputNames)
      throws DataFileException {
    Path where = Path.of("calibration batches");
    List<List<Tensor>> batches = new ArrayList<>();
    int left = calibration.samples();
    for (List<Tensor> batch : calibration.batches().orElseThrow()) {
      if (left == 0) {
        break;
      }
      if (batch.isEmpty()) {
        throw new DataFileException(where, "a batch holds no tensor");
      }
      long size = batch.get(0).dimensions() == 0 ? 0 : batch.get(0).dim(0);
      for (Tensor t : batch) {
        if (t.dimensions() == 0 || t.dim(0) != size) {
          throw new DataFileException(
              where,
              "the tensors of a batch differ in their number of samples (axis 0): "
                  + batch.stream().map(Tensor::toString).toList());
        }
      }
      int take = (int) Math.min(size, left);
      List<Tensor> cut = new ArrayList<>();
      for (Tensor t : batch) {
        cut.add(take == size ? t : t.rows(0, take));
      }
      if (take > 0) {
        batches.add(cut);
      }
      left -= take;
    }
    return finish(where, Optional.empty(), batches, calibration, inputNames);
  }

  private static CalibrationBatches finish(
      Path source,
      Optional<String> sha256,
      List<List<Tensor>> raw,
      Calibration calibration,
      List<String> inputNames)
      throws DataFileException {
    if (raw.isEmpty()) {
      throw new DataFileException(source, "holds no calibration samples");
    }
    List<List<Tensor>> ordered = new ArrayList<>();
    int samples = 0;
    Optional<String> mask = Optional.empty();
    for (List<Tensor> batch : raw) {
      List<Tensor> inputs = order(source, batch, inputNames);
      for (Tensor t : inputs) {
        checkFinite(source, t);
      }
      ordered.add(inputs);
      samples += (int) inputs.get(0).dim(0);
    }
    List<Tensor> first = ordered.get(0);
    if (calibration.mask().isPresent()) {
      String name = calibration.mask().get();
      if (first.stream().noneMatch(t -> t.name().equals(name))) {
        throw new DataFileException(
            source,
            "has no input '"
                + name
                + "' to take as the padding mask; the model's inputs are "
                + String.join(", ", inputNames));
      }
      mask = Optional.of(name);
    } else if (first.stream().anyMatch(t -> t.name().equals(Calibration.DEFAULT_MASK))) {
      mask = Optional.of(Calibration.DEFAULT_MASK);
    }
    return new CalibrationBatches(source, sha256, ordered, samples, mask);
  }

  /** Puts a batch's tensors in the model's input order, under the model's input names. */
  private static List<Tensor> order(Path source, List<Tensor> batch, List<String> inputNames)
      throws DataFileException {
    if (inputNames.size() == 1 && batch.size() == 1) {
      return List.of(batch.get(0).withName(inputNames.get(0)));
    }
    Map<String, Tensor> byName = new LinkedHashMap<>();
    for (Tensor t : batch) {
      byName.put(t.name(), t);
    }
    List<Tensor> out = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String name : inputNames) {
      Tensor t = byName.remove(name);
      if (t == null) {
        missing.add(name);
      } else {
        out.add(t);
      }
    }
    if (!missing.isEmpty() || !byName.isEmpty()) {
      throw new DataFileException(
          source,
          "the model takes the inputs ("
              + String.join(", ", inputNames)
              + ") but the calibration data holds ("
              + String.join(", ", batch.stream().map(Tensor::name).toList())
              + "); name the arrays after the model's inputs");
    }
    return out;
  }

  private static void checkFinite(Path source, Tensor t) throws DataFileException {
    if (t.type() != Tensor.Type.FLOAT32) {
      return;
    }
    float[] v = t.floats();
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        long row = t.dim(0) == 0 ? 0 : i / (v.length / t.dim(0));
        throw new DataFileException(
            source, "holds NaN or infinite values (input " + t.name() + ", sample " + row + ")");
      }
    }
  }

  private static Optional<String> hash(Path path) throws DataFileException {
    if (!Files.isRegularFile(path)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Fingerprint.sha256(path));
    } catch (IOException e) {
      throw new DataFileException(path, "cannot be read (" + e.getMessage() + ")", e);
    }
  }

  Path source() {
    return source;
  }

  Optional<String> sha256() {
    return sha256;
  }

  List<List<Tensor>> batches() {
    return batches;
  }

  int samples() {
    return samples;
  }

  Optional<String> mask() {
    return mask;
  }

  /** Returns the first samples, at most {@code count}, as batches (for bounded probes). */
  List<List<Tensor>> first(int count) {
    List<List<Tensor>> out = new ArrayList<>();
    int left = count;
    for (List<Tensor> batch : batches) {
      if (left == 0) {
        break;
      }
      int size = (int) batch.get(0).dim(0);
      int take = Math.min(size, left);
      List<Tensor> cut = new ArrayList<>();
      for (Tensor t : batch) {
        cut.add(take == size ? t : t.rows(0, take));
      }
      out.add(cut);
      left -= take;
    }
    return out;
  }

  /** Returns the mask tensor of a batch, if the calibration has a mask. */
  Optional<Tensor> maskOf(List<Tensor> batch) {
    return mask.flatMap(name -> batch.stream().filter(t -> t.name().equals(name)).findFirst());
  }
}
