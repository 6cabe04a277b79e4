package dev.lowrank.compress.internal;

import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.format.Layer;
import dev.lowrank.format.SourceModel;
import dev.lowrank.io.InputFileException;
import java.io.IOException;
import java.lang.ref.SoftReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Keeps the calibration statistics of the last model and calibration (softly: the garbage collector
 * may drop them), so that a sweep or a search that compresses one model many times with one {@link
 * Calibration} runs the model over the data once. Also keeps what follows from the statistics
 * alone: the data-aware spectra and the sensitivity weights, per method.
 *
 * <p>A model file is recognized by its path, size and modification time; models in memory are not
 * cached.
 */
final class CalibrationCache {

  /** What is known about one model under one calibration. */
  static final class Entry {
    final CalibrationStatistics statistics;
    final Map<String, Map<String, Optional<LayerSpectrum>>> spectra = new ConcurrentHashMap<>();
    final Map<String, Map<String, Double>> sensitivity = new ConcurrentHashMap<>();

    Entry(CalibrationStatistics statistics) {
      this.statistics = statistics;
    }
  }

  private record Key(
      Calibration calibration,
      Path path,
      long size,
      long modified,
      List<String> layers,
      boolean gram) {}

  private static Key last;
  private static SoftReference<Entry> lastEntry = new SoftReference<>(null);

  private CalibrationCache() {}

  /**
   * Returns the statistics of some layers of a model on calibration data, computing them unless
   * they are known.
   *
   * @param model the model
   * @param layers the layers to calibrate
   * @param calibration the data
   * @param gram whether Gram matrices are needed
   * @param cacheable whether the model is a file that stays as it is (not a model in memory)
   * @return the entry
   * @throws InputFileException if the model cannot be run or the data does not fit it
   */
  static Entry get(
      SourceModel model,
      List<Layer> layers,
      Calibration calibration,
      boolean gram,
      boolean cacheable)
      throws InputFileException {
    Optional<Key> key = cacheable ? key(model, layers, calibration, gram) : Optional.<Key>empty();
    synchronized (CalibrationCache.class) {
      Entry e = lastEntry.get();
      if (key.isPresent() && key.get().equals(last) && e != null) {
        return e;
      }
    }
    Entry fresh = new Entry(CalibrationCapture.capture(model, layers, calibration, gram));
    if (key.isPresent()) {
      synchronized (CalibrationCache.class) {
        last = key.get();
        lastEntry = new SoftReference<>(fresh);
      }
    }
    return fresh;
  }

  private static Optional<Key> key(
      SourceModel model, List<Layer> layers, Calibration calibration, boolean gram) {
    Path path = model.path();
    if (path == null || !Files.exists(path)) {
      return Optional.empty();
    }
    try {
      long size;
      long modified;
      if (Files.isDirectory(path)) {
        size = 0;
        modified = 0;
        try (Stream<Path> files = Files.list(path)) {
          for (Path f : files.toList()) {
            size += Files.isRegularFile(f) ? Files.size(f) : 0;
            modified = Math.max(modified, Files.getLastModifiedTime(f).toMillis());
          }
        }
      } else {
        size = Files.size(path);
        modified = Files.getLastModifiedTime(path).toMillis();
      }
      return Optional.of(
          new Key(
              calibration,
              path.toAbsolutePath().normalize(),
              size,
              modified,
              layers.stream().map(Layer::name).toList(),
              gram));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
