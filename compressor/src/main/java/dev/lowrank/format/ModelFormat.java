package dev.lowrank.format;

import dev.lowrank.io.OutputFiles;
import java.nio.file.Path;

/**
 * A kind of model file lowrank can read and write (DJL block models, TorchScript archives).
 *
 * <p>Obtain formats from {@link ModelFormats}; callers never name an implementation class.
 */
public interface ModelFormat {

  /**
   * Returns the short name used in reports: {@code djl} or {@code torchscript}.
   *
   * @return the format name
   */
  String name();

  /**
   * Returns whether {@code path} looks like a model of this format (by its content, not only its
   * name). Never throws.
   *
   * @param path an existing file or directory
   * @return {@code true} if {@link #open(Path)} should be tried
   */
  boolean accepts(Path path);

  /**
   * Returns whether models of this format are single files or directories (DJL).
   *
   * @return the kind of path a compressed model is written as
   */
  default OutputFiles.Kind outputKind() {
    return OutputFiles.Kind.FILE;
  }

  /**
   * Returns whether {@code path} holds a model of this format that lowrank wrote (it carries a
   * manifest), so that a new output may replace it. Never throws.
   *
   * @param path an existing file or directory
   * @return {@code true} for a lowrank output of this format
   */
  default boolean isLowrankOutput(Path path) {
    if (!accepts(path)) {
      return false;
    }
    try (SourceModel model = open(path)) {
      return model.manifest().isPresent();
    } catch (ModelFileException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Opens a model.
   *
   * @param path the model file or directory
   * @return the opened model, to be closed by the caller
   * @throws ModelFileException if the file is not a valid model of this format
   */
  SourceModel open(Path path) throws ModelFileException;
}
