package dev.lowrank.format.torchscript.internal.code;

import java.util.List;

/**
 * One logical line of source: a statement or a block header, possibly spanning several physical
 * lines inside brackets.
 *
 * @param indent the column of its first token
 * @param tokens its tokens, never empty
 */
public record LogicalLine(int indent, List<Token> tokens) {

  /** Copies the tokens. */
  public LogicalLine {
    tokens = List.copyOf(tokens);
    if (tokens.isEmpty()) {
      throw new IllegalArgumentException("A logical line needs tokens");
    }
  }

  /**
   * Returns the first physical line (0-based).
   *
   * @return the line of the first token
   */
  public int firstLine() {
    return tokens.get(0).line();
  }

  /**
   * Returns the last physical line (0-based) the line's tokens reach.
   *
   * @return the line of the last token
   */
  public int lastLine() {
    return tokens.get(tokens.size() - 1).line();
  }

  /**
   * Returns the first token.
   *
   * @return the first token
   */
  public Token first() {
    return tokens.get(0);
  }
}
