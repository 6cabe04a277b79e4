package dev.lowrank.eval.gate;

import dev.lowrank.io.OutputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a gate verdict as a JUnit XML report, the format CI servers (Jenkins, GitLab, GitHub test
 * reporters) read: one {@code <testsuite>} with one {@code <testcase>} per check, a {@code
 * <failure>} carrying the numbers for each failed check, and the evaluation's key figures as {@code
 * <properties>}.
 */
public final class JUnitXmlReport {

  private JUnitXmlReport() {}

  /**
   * Renders the report.
   *
   * @param suite the test suite name, e.g. {@code lowrank-eval mlp-r16}
   * @param verdict the verdict
   * @param properties figures to record (name to value), in order
   * @return the XML document
   */
  public static String render(String suite, GateVerdict verdict, Map<String, String> properties) {
    StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.append(
        String.format(
            Locale.ROOT,
            "<testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"0\""
                + " time=\"0\">\n",
            escape(suite),
            verdict.checks().size(),
            verdict.failures().size()));
    if (!properties.isEmpty()) {
      x.append("  <properties>\n");
      properties.forEach(
          (k, v) ->
              x.append("    <property name=\"")
                  .append(escape(k))
                  .append("\" value=\"")
                  .append(escape(v))
                  .append("\"/>\n"));
      x.append("  </properties>\n");
    }
    for (GateCheck c : verdict.checks()) {
      x.append("  <testcase classname=\"lowrank.gate\" name=\"")
          .append(escape(c.name()))
          .append("\" time=\"0\"");
      if (c.passed()) {
        x.append("/>\n");
        continue;
      }
      x.append(">\n    <failure type=\"")
          .append(escape(c.name()))
          .append("\" message=\"")
          .append(escape(c.message()))
          .append("\">")
          .append(
              escape(
                  String.format(
                      Locale.ROOT,
                      "%s%nvalue: %.6f%nlimit: %.6f%npast the limit by: %.6f",
                      c.message(),
                      c.value(),
                      c.limit(),
                      -c.margin())))
          .append("</failure>\n  </testcase>\n");
    }
    x.append("</testsuite>\n");
    return x.toString();
  }

  /**
   * Writes the report to a file.
   *
   * @param file the destination
   * @param suite the test suite name
   * @param verdict the verdict
   * @param properties figures to record
   * @throws IOException if it cannot be written
   */
  public static void write(
      Path file, String suite, GateVerdict verdict, Map<String, String> properties)
      throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    OutputFiles.writeString(file, render(suite, verdict, properties));
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&apos;");
        case '\n' -> sb.append("&#10;");
        default -> {
          if (c >= 0x20 || c == '\t' || c == '\r') {
            sb.append(c);
          }
        }
      }
    }
    return sb.toString();
  }
}
