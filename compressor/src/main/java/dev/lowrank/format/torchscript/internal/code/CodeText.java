package dev.lowrank.format.torchscript.internal.code;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small helpers to write TorchScript source text. */
public final class CodeText {

  private CodeText() {}

  /**
   * Returns a Python string literal for a value.
   *
   * @param value the string
   * @return the literal, in double quotes
   */
  public static String quote(String value) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\x%02x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  /**
   * Replaces every whole occurrence of a qualified name (not part of a longer dotted name).
   *
   * @param text source text
   * @param from the qualified name to replace
   * @param to its replacement
   * @return the new text
   */
  public static String renameQualified(String text, String from, String to) {
    Pattern p = Pattern.compile("(?<![\\w.])" + Pattern.quote(from) + "(?![\\w.])");
    return p.matcher(text).replaceAll(Matcher.quoteReplacement(to));
  }
}
