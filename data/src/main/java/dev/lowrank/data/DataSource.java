package dev.lowrank.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where evaluation samples come from: a data set in memory, or a file read once the model's input
 * shape is known (image folders are converted to it).
 */
public interface DataSource {

  /**
   * Returns the path error messages name: the file, or the in-memory set's name.
   *
   * @return the source path
   */
  Path path();

  /**
   * Reads the samples.
   *
   * @param modelInput the model's per-sample input shape, when known
   * @return the data set
   * @throws DataFileException if the file is missing, malformed or empty
   */
  Dataset load(Optional<SampleShape> modelInput) throws DataFileException;

  /**
   * Reads the samples for a model whose forward arguments are known, and picks the inputs it takes
   * in its order ({@link Dataset#forModelInputs}).
   *
   * @param modelInput the model's per-sample input shape, when known
   * @param modelInputs the model's forward arguments in order, empty when unknown
   * @return the data set
   * @throws DataFileException if the file cannot be used or lacks an input the model takes
   */
  default Dataset load(Optional<SampleShape> modelInput, List<String> modelInputs)
      throws DataFileException {
    Dataset data = load(modelInput);
    return modelInputs.isEmpty() ? data : data.forModelInputs(modelInputs);
  }

  /**
   * Wraps a data set already in memory.
   *
   * @param data the samples
   * @return a source that returns {@code data}
   */
  static DataSource of(Dataset data) {
    return new DataSource() {
      @Override
      public Path path() {
        return data.source();
      }

      @Override
      public Dataset load(Optional<SampleShape> modelInput) {
        return data;
      }
    };
  }

  /**
   * Reads a file or image folder with {@link Datasets#read(Path, DataOptions)}; images are
   * converted to the model's input shape unless the options name one.
   *
   * @param path a {@code .csv}, {@code .csv.gz}, {@code .npy}, {@code .npz} file, or a folder
   * @param options how to read it
   * @return the source
   */
  static DataSource file(Path path, DataOptions options) {
    return new DataSource() {
      @Override
      public Path path() {
        return path;
      }

      @Override
      public Dataset load(Optional<SampleShape> modelInput) throws DataFileException {
        DataOptions o = modelInput.map(options::withDefaultImageShape).orElse(options);
        return Datasets.read(path, o);
      }
    };
  }
}
