package dev.lowrank.data;

import dev.lowrank.io.InputFileException;
import java.nio.file.Path;

/**
 * A data file that cannot be used: missing, unreadable, malformed, empty, without the label column
 * asked for, with labels outside the model's outputs, or with samples whose shape does not fit the
 * model's input.
 *
 * <p>The message is one line, {@code "<file>: <problem>"}, e.g. {@code "test.csv: label column
 * 'digit' is absent (columns: x0, ..., label)"}. An {@link InputFileException}, as a bad model file
 * is, so that every bad input file is reported the same way (the CLI prints it and exits with 2).
 */
public class DataFileException extends InputFileException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception about {@code file}.
   *
   * @param file the data file or directory
   * @param problem what is wrong with it, a sentence fragment without the file name
   */
  public DataFileException(Path file, String problem) {
    super(file, problem);
  }

  /**
   * Creates an exception about {@code file} with a cause.
   *
   * @param file the data file or directory
   * @param problem what is wrong with it, a sentence fragment without the file name
   * @param cause the underlying error
   */
  public DataFileException(Path file, String problem, Throwable cause) {
    super(file, problem, cause);
  }
}
