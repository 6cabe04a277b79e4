package dev.lowrank.format;

import java.nio.file.Path;

/**
 * A model file that cannot be used: missing, unreadable, not a model, corrupt, hostile, or holding
 * values the compressor refuses (NaN or infinite weights).
 *
 * <p>The message is one line that starts with the file and says what is wrong, e.g. {@code
 * "models/mlp.pt: zip entry '../evil' escapes the archive"}. The CLI prints it as it is and exits
 * with code 2.
 */
public class ModelFileException extends Exception {

  private static final long serialVersionUID = 1L;

  private final transient Path file;

  /**
   * Creates an exception about {@code file}.
   *
   * @param file the offending file or directory
   * @param problem what is wrong with it, as a sentence fragment without the file name
   */
  public ModelFileException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /**
   * Creates an exception about {@code file} with a cause.
   *
   * @param file the offending file or directory
   * @param problem what is wrong with it, as a sentence fragment without the file name
   * @param cause the underlying error
   */
  public ModelFileException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /**
   * Returns the file the problem is about.
   *
   * @return the file
   */
  public Path file() {
    return file;
  }
}
