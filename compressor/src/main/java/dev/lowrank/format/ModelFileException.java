package dev.lowrank.format;

import dev.lowrank.io.InputFileException;
import java.nio.file.Path;

/**
 * A model file that cannot be used: missing, unreadable, not a model, corrupt, hostile, or holding
 * values the compressor refuses (NaN or infinite weights).
 *
 * <p>The message is one line that starts with the file and says what is wrong, e.g. {@code
 * "models/mlp.pt: zip entry '../evil' escapes the archive"}. The CLI prints it as it is and exits
 * with code 2. A sibling of {@code DataFileException} under {@link InputFileException}.
 */
public class ModelFileException extends InputFileException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception about {@code file}.
   *
   * @param file the offending file or directory
   * @param problem what is wrong with it, as a sentence fragment without the file name
   */
  public ModelFileException(Path file, String problem) {
    super(file, problem);
  }

  /**
   * Creates an exception about {@code file} with a cause.
   *
   * @param file the offending file or directory
   * @param problem what is wrong with it, as a sentence fragment without the file name
   * @param cause the underlying error
   */
  public ModelFileException(Path file, String problem, Throwable cause) {
    super(file, problem, cause);
  }
}
