package dev.lowrank.cli.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A generated section of a text file (a README's table) between a start and an end marker line:
 * checked before the work that generates it, then replaced.
 */
public final class MarkedSection {

  private MarkedSection() {}

  /**
   * Checks that a file exists and holds both markers, in order, before any work.
   *
   * @param file the file
   * @param start the start marker line
   * @param end the end marker line
   * @throws IllegalArgumentException naming the file if it is missing or lacks the markers
   * @throws IOException if the file cannot be read
   */
  public static void check(Path file, String start, String end) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such file to write the table into");
    }
    replace(file, start, end, start + "\n" + end + "\n");
  }

  /**
   * Returns the file's text with the section replaced.
   *
   * @param file the file
   * @param start the start marker line
   * @param end the end marker line
   * @param section the new section, from its start marker through its end marker and newline
   * @return the new text of the whole file
   * @throws IllegalArgumentException naming the file if it lacks the markers
   * @throws IOException if the file cannot be read
   */
  public static String replace(Path file, String start, String end, String section)
      throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    int from = text.indexOf(start);
    int to = text.indexOf(end);
    if (from < 0 || to < from) {
      throw new IllegalArgumentException(
          file + ": lacks the table markers " + start + " ... " + end);
    }
    int after = Math.min(text.length(), to + end.length() + 1);
    return text.substring(0, from) + section + text.substring(after);
  }
}
