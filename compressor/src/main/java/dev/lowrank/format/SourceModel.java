package dev.lowrank.format;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.Manifest;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An opened model whose linear layers can be read and which can be written back with some of them
 * factorized. One implementation per {@link ModelFormat}.
 *
 * <p>Weights are read one layer at a time so that the heap holds a few layers, not the model.
 * Closing releases native memory and open files; the input file is never modified.
 */
public interface SourceModel extends AutoCloseable {

  /**
   * Returns the file or directory the model was read from.
   *
   * @return the model path
   */
  Path path();

  /**
   * Returns the format that opened this model.
   *
   * @return the format
   */
  ModelFormat format();

  /**
   * Returns every parameter of the model (all tensors that are trained weights, linear or not).
   *
   * @return the total parameter count
   */
  long parameterCount();

  /**
   * Returns the linear layers in model order, dense ones and already factorized ones.
   *
   * @return the layers
   */
  List<LinearLayer> linearLayers();

  /**
   * Reads the weight {@code W} (n x m) of a dense layer.
   *
   * @param layer a layer from {@link #linearLayers()} without {@link LinearLayer#lowRank()}
   * @return a new matrix holding a copy of the weight
   * @throws ModelFileException if the stored tensor cannot be read
   */
  FloatMatrix readWeight(LinearLayer layer) throws ModelFileException;

  /**
   * Writes the model to {@code output} with each named layer's weight replaced by its factors,
   * every other tensor and module unchanged, and the manifest embedded.
   *
   * <p>The write is atomic: on any failure no file or directory is left at {@code output}.
   *
   * @param output the destination, never the input
   * @param factors the factors per layer name; layers not named stay as they are
   * @param manifest the record of how the model was made, embedded as {@link Manifest#FILE_NAME}
   *     (written with {@link Manifest#toJson(CompressionResult)})
   * @throws IOException if the output cannot be written
   * @throws ModelFileException if the input turns out to be unusable while copying it
   */
  void write(Path output, Map<String, LowRankFactors> factors, CompressionResult manifest)
      throws IOException, ModelFileException;

  /**
   * Returns the manifest the model carries when lowrank wrote it: how it was made, from which
   * input, layer by layer.
   *
   * @return the embedded manifest, empty for a model lowrank did not write
   * @throws ModelFileException if a manifest is present but malformed or of a newer format
   */
  Optional<CompressionResult> manifest() throws ModelFileException;

  @Override
  void close();
}
