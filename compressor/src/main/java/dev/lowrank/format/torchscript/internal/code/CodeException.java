package dev.lowrank.format.torchscript.internal.code;

/** Source code in an archive that lowrank cannot parse; the caller adds the file and entry. */
public final class CodeException extends Exception {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param problem what is wrong
   * @param line the 0-based line it was found on
   */
  public CodeException(String problem, int line) {
    super(problem + " on line " + (line + 1));
  }
}
