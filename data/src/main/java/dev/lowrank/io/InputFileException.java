package dev.lowrank.io;

import java.nio.file.Path;

/**
 * A file the user gave that cannot be used: the common root of the checked exceptions about input
 * files, so that a model file ({@code ModelFileException}) and a data file ({@code
 * DataFileException}) are reported the same way without one being a kind of the other.
 *
 * <p>The message is one line that starts with the file and says what is wrong and, where it can,
 * what to do, e.g. {@code "models/mlp.pt: zip entry '../evil' escapes the archive"}. The CLI prints
 * it as it is and exits with code 2. Parts of the message that quote the file's content are bounded
 * ({@link #quote(String)}), so a hostile file cannot flood the terminal.
 */
public class InputFileException extends Exception {

  private static final long serialVersionUID = 1L;

  /** The most characters of file content an error message quotes. */
  public static final int MAX_QUOTE = 80;

  private final transient Path file;

  /**
   * Creates an exception about {@code file}.
   *
   * @param file the offending file or directory
   * @param problem what is wrong with it, as a sentence fragment without the file name
   */
  public InputFileException(Path file, String problem) {
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
  public InputFileException(Path file, String problem, Throwable cause) {
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

  /**
   * Quotes a piece of a file's content for an error message: in single quotes, control characters
   * shown as {@code ?}, and at most {@value #MAX_QUOTE} characters followed by {@code ...} and the
   * full length when it is longer.
   *
   * @param content the text to quote
   * @return the bounded quotation
   */
  public static String quote(String content) {
    if (content == null) {
      return "null";
    }
    int shown = Math.min(content.length(), MAX_QUOTE);
    StringBuilder sb = new StringBuilder(shown + 32).append('\'');
    for (int i = 0; i < shown; i++) {
      char c = content.charAt(i);
      sb.append(Character.isISOControl(c) ? '?' : c);
    }
    sb.append('\'');
    if (content.length() > shown) {
      sb.append("... (").append(content.length()).append(" characters)");
    }
    return sb.toString();
  }
}
