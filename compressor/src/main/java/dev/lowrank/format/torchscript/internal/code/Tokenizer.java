package dev.lowrank.format.torchscript.internal.code;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Splits TorchScript source (the Python subset {@code torch.jit.save} prints) into logical lines of
 * tokens: a logical line ends at a newline outside brackets, as in Python.
 */
public final class Tokenizer {

  private static final Set<String> OPS3 = Set.of("**=", "//=", ">>=", "<<=", "...");
  private static final Set<String> OPS2 =
      Set.of(
          "->", "**", "//", "==", "!=", "<=", ">=", "<<", ">>", "+=", "-=", "*=", "/=", "%=", "&=",
          "|=", "^=", ":=", "@=");
  private static final String OPS1 = "()[]{},:.;=+-*/%<>&|^~@!";
  private static final int MAX_DEPTH = 200;

  private final String text;
  private int pos;
  private int line;

  private Tokenizer(String text) {
    this.text = text;
  }

  /**
   * Tokenizes a source file.
   *
   * @param text the source
   * @return its logical lines in order
   * @throws CodeException if the text has an unterminated string, unbalanced brackets or a
   *     character Python source cannot hold
   */
  public static List<LogicalLine> logicalLines(String text) throws CodeException {
    return new Tokenizer(text).run();
  }

  private List<LogicalLine> run() throws CodeException {
    List<LogicalLine> lines = new ArrayList<>();
    List<Token> current = new ArrayList<>();
    int depth = 0;
    int indent = 0;
    int lineStart = 0;
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == '\n') {
        if (depth == 0 && !current.isEmpty()) {
          lines.add(new LogicalLine(indent, current));
          current = new ArrayList<>();
        }
        pos++;
        line++;
        lineStart = pos;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
        pos++;
        continue;
      }
      if (c == '#') {
        while (pos < text.length() && text.charAt(pos) != '\n') {
          pos++;
        }
        continue;
      }
      if (c == '\\' && pos + 1 < text.length() && text.charAt(pos + 1) == '\n') {
        pos += 2;
        line++;
        continue;
      }
      if (current.isEmpty() && depth == 0) {
        indent = pos - lineStart;
      }
      Token t = next(c);
      if (t.kind() == Token.Kind.OP) {
        if ("([{".contains(t.text())) {
          depth++;
          if (depth > MAX_DEPTH) {
            throw new CodeException("brackets nested deeper than " + MAX_DEPTH, line);
          }
        } else if (")]}".contains(t.text())) {
          depth--;
          if (depth < 0) {
            throw new CodeException("an unbalanced '" + t.text() + "'", line, true);
          }
        }
      }
      current.add(t);
    }
    if (depth != 0) {
      throw new CodeException("unbalanced brackets at the end of the file", line, true);
    }
    if (!current.isEmpty()) {
      lines.add(new LogicalLine(indent, current));
    }
    return lines;
  }

  private Token next(char c) throws CodeException {
    int start = pos;
    int startLine = line;
    if (isNameStart(c)) {
      while (pos < text.length() && isNamePart(text.charAt(pos))) {
        pos++;
      }
      if (pos < text.length()
          && (text.charAt(pos) == '\'' || text.charAt(pos) == '"')
          && text.substring(start, pos).matches("(?i)[rbuf]{1,2}")) {
        return string(start, startLine);
      }
      return new Token(Token.Kind.NAME, text.substring(start, pos), startLine, start, pos);
    }
    if (Character.isDigit(c)
        || (c == '.' && pos + 1 < text.length() && Character.isDigit(text.charAt(pos + 1)))) {
      while (pos < text.length()) {
        char d = text.charAt(pos);
        if (isNamePart(d) || d == '.') {
          pos++;
        } else if ((d == '+' || d == '-')
            && (text.charAt(pos - 1) == 'e' || text.charAt(pos - 1) == 'E')
            && !text.substring(start, pos).startsWith("0x")) {
          pos++;
        } else {
          break;
        }
      }
      return new Token(Token.Kind.NUMBER, text.substring(start, pos), startLine, start, pos);
    }
    if (c == '\'' || c == '"') {
      return string(start, startLine);
    }
    for (Set<String> ops : List.of(OPS3, OPS2)) {
      int n = ops == OPS3 ? 3 : 2;
      if (pos + n <= text.length() && ops.contains(text.substring(pos, pos + n))) {
        pos += n;
        return new Token(Token.Kind.OP, text.substring(start, pos), startLine, start, pos);
      }
    }
    if (OPS1.indexOf(c) >= 0) {
      pos++;
      return new Token(Token.Kind.OP, String.valueOf(c), startLine, start, pos);
    }
    throw new CodeException(String.format("an unexpected character U+%04X", (int) c), line, true);
  }

  private Token string(int start, int startLine) throws CodeException {
    while (text.charAt(pos) != '\'' && text.charAt(pos) != '"') {
      pos++;
    }
    char q = text.charAt(pos);
    boolean triple = text.startsWith(String.valueOf(q).repeat(3), pos);
    String close = triple ? String.valueOf(q).repeat(3) : String.valueOf(q);
    pos += close.length();
    while (true) {
      if (pos >= text.length()) {
        throw new CodeException("an unterminated string", startLine, true);
      }
      char c = text.charAt(pos);
      if (c == '\\') {
        if (pos + 1 >= text.length()) {
          throw new CodeException("an unterminated string", startLine, true);
        }
        char e = text.charAt(pos + 1);
        int digits = e == 'x' ? 2 : e == 'u' ? 4 : 0;
        if (e == 'U' || e == 'N') {
          throw new CodeException("a string escape lowrank does not read", line);
        }
        for (int i = 0; i < digits; i++) {
          if (pos + 2 + i >= text.length() || Character.digit(text.charAt(pos + 2 + i), 16) < 0) {
            throw new CodeException("a malformed string escape", line, true);
          }
        }
        if (e == '\n') {
          line++;
        }
        pos += 2 + digits;
        continue;
      }
      if (c == '\n') {
        if (!triple) {
          throw new CodeException("an unterminated string", startLine, true);
        }
        line++;
      }
      if (text.startsWith(close, pos)) {
        pos += close.length();
        return new Token(Token.Kind.STRING, text.substring(start, pos), startLine, start, pos);
      }
      pos++;
    }
  }

  private static boolean isNameStart(char c) {
    return c == '_' || Character.isLetter(c);
  }

  private static boolean isNamePart(char c) {
    return c == '_' || Character.isLetterOrDigit(c);
  }
}
