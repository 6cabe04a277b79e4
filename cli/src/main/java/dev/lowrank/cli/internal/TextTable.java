package dev.lowrank.cli.internal;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table with aligned columns; numbers right-aligned, text left-aligned. */
public final class TextTable {

  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  /**
   * Starts a table.
   *
   * @param header the column titles
   */
  public TextTable(String... header) {
    this.header = List.of(header);
  }

  /**
   * Adds a row.
   *
   * @param cells one value per column
   * @return this table
   */
  public TextTable row(Object... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException(
          "Expected " + header.size() + " cells, got " + cells.length);
    }
    List<String> row = new ArrayList<>();
    for (Object c : cells) {
      row.add(String.valueOf(c));
    }
    rows.add(row);
    return this;
  }

  @Override
  public String toString() {
    int[] width = new int[header.size()];
    boolean[] numeric = new boolean[header.size()];
    for (int c = 0; c < width.length; c++) {
      width[c] = header.get(c).length();
      numeric[c] = !rows.isEmpty();
      for (List<String> row : rows) {
        width[c] = Math.max(width[c], row.get(c).length());
        numeric[c] &= row.get(c).matches("[-+]?[0-9.,%x]+|-");
      }
    }
    StringBuilder sb = new StringBuilder();
    append(sb, header, width, numeric);
    for (int c = 0; c < width.length; c++) {
      sb.append(c == 0 ? "" : "  ").append("-".repeat(width[c]));
    }
    sb.append('\n');
    for (List<String> row : rows) {
      append(sb, row, width, numeric);
    }
    return sb.toString();
  }

  private static void append(StringBuilder sb, List<String> cells, int[] width, boolean[] right) {
    for (int c = 0; c < width.length; c++) {
      String cell = cells.get(c);
      String pad = " ".repeat(width[c] - cell.length());
      sb.append(c == 0 ? "" : "  ").append(right[c] ? pad + cell : cell + pad);
    }
    int end = sb.length();
    while (end > 0 && sb.charAt(end - 1) == ' ') {
      end--;
    }
    sb.setLength(end);
    sb.append('\n');
  }
}
