package dev.lowrank.format.torchscript.internal.code;

/**
 * A token of TorchScript source: a name, a number, a string literal or an operator.
 *
 * @param kind what the token is
 * @param text the token as written (string literals with their quotes)
 * @param line the 0-based physical line it starts on
 * @param start its offset in the file text
 * @param end the offset just after it
 */
public record Token(Token.Kind kind, String text, int line, int start, int end) {

  /** Token kinds. */
  public enum Kind {
    /** An identifier or keyword. */
    NAME,
    /** A numeric literal. */
    NUMBER,
    /** A string literal. */
    STRING,
    /** An operator or bracket. */
    OP
  }

  /**
   * Returns whether this is the name {@code name}.
   *
   * @param name an identifier
   * @return {@code true} if the token is that name
   */
  public boolean isName(String name) {
    return kind == Kind.NAME && text.equals(name);
  }

  /**
   * Returns whether this is the operator {@code op}.
   *
   * @param op an operator
   * @return {@code true} if the token is that operator
   */
  public boolean isOp(String op) {
    return kind == Kind.OP && text.equals(op);
  }

  /**
   * Returns the value of a string literal with its escapes resolved.
   *
   * @return the string's value
   * @throws IllegalStateException if the token is not a string literal
   */
  public String stringValue() {
    if (kind != Kind.STRING) {
      throw new IllegalStateException(text + " is not a string literal");
    }
    int q = 0;
    while (text.charAt(q) != '\'' && text.charAt(q) != '"') {
      q++;
    }
    boolean raw = text.substring(0, q).toLowerCase(java.util.Locale.ROOT).contains("r");
    int quoteLen = text.startsWith("\"\"\"", q) || text.startsWith("'''", q) ? 3 : 1;
    String body = text.substring(q + quoteLen, text.length() - quoteLen);
    if (raw) {
      return body;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c != '\\' || i + 1 >= body.length()) {
        sb.append(c);
        continue;
      }
      char e = body.charAt(++i);
      switch (e) {
        case 'n' -> sb.append('\n');
        case 't' -> sb.append('\t');
        case 'r' -> sb.append('\r');
        case '0' -> sb.append('\0');
        case 'x' -> {
          sb.append(
              (char) Integer.parseInt(body.substring(i + 1, Math.min(i + 3, body.length())), 16));
          i += 2;
        }
        case 'u' -> {
          sb.append(
              (char) Integer.parseInt(body.substring(i + 1, Math.min(i + 5, body.length())), 16));
          i += 4;
        }
        case '\n' -> {}
        default -> sb.append(e);
      }
    }
    return sb.toString();
  }
}
