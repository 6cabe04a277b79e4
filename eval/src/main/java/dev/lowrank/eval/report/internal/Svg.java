package dev.lowrank.eval.report.internal;

import java.util.Locale;

/** Escaping for text placed in SVG and HTML. */
final class Svg {

  private Svg() {}

  static String escape(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  static String num(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
