package dev.lowrank.format.torchscript.internal.code;

/**
 * Source code in an archive that lowrank cannot parse; the caller adds the file and entry. It is
 * either a {@linkplain #syntaxError() syntax error}, code that is not TorchScript at all (so
 * PyTorch cannot load it either), or TorchScript of a shape lowrank does not read.
 */
public final class CodeException extends Exception {

  private static final long serialVersionUID = 1L;

  private final boolean syntaxError;

  /**
   * Creates the exception for TorchScript that lowrank does not read.
   *
   * @param problem what is wrong
   * @param line the 0-based line it was found on
   */
  public CodeException(String problem, int line) {
    this(problem, line, false);
  }

  /**
   * Creates the exception.
   *
   * @param problem what is wrong
   * @param line the 0-based line it was found on
   * @param syntaxError whether the code is not TorchScript at all
   */
  public CodeException(String problem, int line, boolean syntaxError) {
    super(problem + " on line " + (line + 1));
    this.syntaxError = syntaxError;
  }

  /**
   * Returns whether the code is not syntactically TorchScript, as opposed to TorchScript of a shape
   * lowrank does not read.
   *
   * @return {@code true} for a syntax error
   */
  public boolean syntaxError() {
    return syntaxError;
  }
}
