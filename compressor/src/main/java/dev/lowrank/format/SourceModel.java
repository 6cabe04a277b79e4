package dev.lowrank.format;

import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An opened model whose factorizable layers can be read, run on data, and written back with some of
 * them factorized. One implementation per {@link ModelFormat}; this interface speaks only of
 * layers, weights, factors, tensors and opaque manifest bytes, so that formats sit below the
 * compressor.
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
   * Returns every parameter of the model (all tensors that are trained weights, factorizable or
   * not).
   *
   * @return the total parameter count
   */
  long parameterCount();

  /**
   * Returns the factorizable layers in model (forward) order: dense ones, already factorized ones,
   * and ones that must stay dense (with the reason).
   *
   * @return the layers
   */
  List<Layer> layers();

  /**
   * Reads the weight of a dense layer as the matrix {@code W} (n x m) its kind defines (a
   * convolution's kernel in its channel form {@code C_out x (C_in kh kw)}, see {@link
   * ConvGeometry}).
   *
   * @param layer a layer from {@link #layers()} without {@link Layer#lowRank()}
   * @return a new matrix holding a copy of the weight
   * @throws ModelFileException if the stored tensor cannot be read or holds NaN or infinite values
   */
  FloatMatrix readWeight(Layer layer) throws ModelFileException;

  /**
   * Returns the names, as DJL lists a loaded model's parameters, of the two factors a factorized
   * linear layer holds in the written model: {@code A} ({@code r x m}) then {@code B} ({@code n x
   * r}). Fine-tuning trains exactly these.
   *
   * @param layer a linear layer from {@link #layers()}
   * @return {@code [<layer>.lowrank_a, <layer>.lowrank_b]} unless the format stores them elsewhere
   */
  default List<String> factorParameterNames(Layer layer) {
    return List.of(layer.name() + ".lowrank_a", layer.name() + ".lowrank_b");
  }

  /**
   * Opens a runner that runs this model on data and shows it the inputs of chosen layers: what
   * calibration (the Gram matrices of data-aware truncation), sequential fitting and output
   * fidelity need.
   *
   * @param observed names of layers from {@link #layers()} whose inputs the runner reports
   * @return the runner, to be closed before the model
   * @throws ModelFileException if the model cannot be run by this format (the message says why)
   */
  ModelRunner runner(Set<String> observed) throws ModelFileException;

  /**
   * Writes the model to {@code output} with each named layer's weight replaced by its factors,
   * every other tensor and module unchanged, and the manifest embedded.
   *
   * <p>The write is atomic: on any failure no file or directory is left at {@code output}.
   *
   * @param output the destination, never the input
   * @param factors the factors per layer name; layers not named stay as they are
   * @param manifest the UTF-8 JSON record of how the model was made, embedded as the format embeds
   *     it (read back by {@link #manifest()})
   * @throws IOException if the output cannot be written
   * @throws ModelFileException if the input turns out to be unusable while copying it
   */
  void write(Path output, Map<String, LowRankFactors> factors, byte[] manifest)
      throws IOException, ModelFileException;

  /**
   * Writes the model as {@link #write(Path, Map, byte[])} does, with the factors of convolutions in
   * the forms given: for a layer of kind {@link LayerKind#CONV2D}, {@code factors} holds the
   * truncation of the matrix its form arranges ({@link ConvForm}); a convolution not in {@code
   * forms} is in the channel form.
   *
   * <p>The default accepts only the channel form and delegates to {@link #write(Path, Map,
   * byte[])}: a format that writes the spatial form overrides this method (the ONNX format, for
   * one, can start with the channel form only).
   *
   * @param output the destination, never the input
   * @param factors the factors per layer name
   * @param forms the form of each convolution's factors, by layer name
   * @param manifest the UTF-8 JSON record of how the model was made
   * @throws IOException if the output cannot be written
   * @throws ModelFileException if the input turns out to be unusable while copying it
   * @throws IllegalArgumentException if a form is one this format cannot write
   */
  default void write(
      Path output,
      Map<String, LowRankFactors> factors,
      Map<String, ConvForm> forms,
      byte[] manifest)
      throws IOException, ModelFileException {
    for (Map.Entry<String, ConvForm> e : forms.entrySet()) {
      if (e.getValue() != ConvForm.CHANNEL) {
        throw new IllegalArgumentException(
            format().name()
                + " models take convolution factors in the channel form only, not "
                + e.getValue().label()
                + " (layer "
                + e.getKey()
                + "); use --conv-form channel");
      }
    }
    write(output, factors, manifest);
  }

  /**
   * Returns the forms in which this format can write a convolution's factors; the compressor only
   * chooses among them.
   *
   * @param layer a convolution from {@link #layers()}
   * @return the forms, never empty for a factorizable convolution
   */
  default Set<ConvForm> convForms(Layer layer) {
    return EnumSet.of(ConvForm.CHANNEL);
  }

  /**
   * Returns the manifest the model carries when lowrank wrote it, as the bytes it embedded.
   *
   * @return the embedded manifest, empty for a model lowrank did not write
   * @throws ModelFileException if the manifest cannot be read
   */
  Optional<byte[]> manifest() throws ModelFileException;

  @Override
  void close();
}
