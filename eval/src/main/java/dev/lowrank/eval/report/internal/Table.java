package dev.lowrank.eval.report.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One table of a report, as every writer renders it: a title, columns (header, alignment, style),
 * rows of text cells, and notes shown below. Immutable; {@link ReportTables} makes the tables, the
 * writers only lay them out (Markdown as a GitHub table, HTML as a {@code <table>}, text as aligned
 * columns).
 *
 * <p>A table may name a compact view: the columns, in their order, that a narrow layout (the
 * terminal) shows instead of all of them ({@link #compact()}).
 *
 * @param title what the table shows, e.g. {@code Latency (ms per batch)}
 * @param columns the columns, left to right
 * @param rows the rows, each with one cell per column
 * @param notes sentences shown below the table
 * @param compactColumns the column indices of the compact view, in its order; empty for all
 */
record Table(
    String title,
    List<Column> columns,
    List<Row> rows,
    List<String> notes,
    List<Integer> compactColumns) {

  /** A cell whose value does not apply, e.g. the accuracy of unlabeled data. */
  static final String NONE = "–";

  /** How a column's cells are aligned. */
  enum Align {
    /** Text, flush left. */
    LEFT,
    /** Numbers, flush right. */
    RIGHT
  }

  /** How a column's cells are set. */
  enum Style {
    /** As they are. */
    PLAIN,
    /** As code (layer names): monospace in HTML, in backticks in Markdown. */
    CODE,
    /** Muted (remarks): smaller and grey in HTML. */
    MUTED
  }

  /**
   * A column.
   *
   * @param header its heading; an empty heading for every column means a table without a header
   * @param align how its cells are aligned
   * @param style how its cells are set
   */
  record Column(String header, Align align, Style style) {}

  /**
   * A row.
   *
   * @param cells one per column; empty text for an empty cell
   * @param highlighted whether the row is the answer (a search's chosen setting)
   */
  record Row(List<String> cells, boolean highlighted) {

    /** Copies the cells. */
    Row {
      cells = List.copyOf(cells);
    }
  }

  /** Checks that every row has one cell per column and copies the lists. */
  Table {
    columns = List.copyOf(columns);
    rows = List.copyOf(rows);
    notes = List.copyOf(notes);
    compactColumns = List.copyOf(compactColumns);
    for (Row r : rows) {
      if (r.cells().size() != columns.size()) {
        throw new IllegalArgumentException(
            "A row of '"
                + title
                + "' has "
                + r.cells().size()
                + " cells for "
                + columns.size()
                + " columns");
      }
    }
    for (int c : compactColumns) {
      if (c < 0 || c >= columns.size()) {
        throw new IllegalArgumentException("No column " + c + " in '" + title + "'");
      }
    }
  }

  /**
   * Returns a cell's text on one line, as every layout shows it (line breaks become spaces).
   *
   * @param cell the text
   * @return the text without line breaks
   */
  static String oneLine(String cell) {
    return cell.replace('\n', ' ').replace('\r', ' ');
  }

  /**
   * Starts a table.
   *
   * @param title what it shows
   * @return a builder
   */
  static Builder builder(String title) {
    return new Builder(title);
  }

  /**
   * Returns whether the table has a header row: whether any column has a heading.
   *
   * @return {@code true} when a heading is not empty
   */
  boolean hasHeader() {
    return columns.stream().anyMatch(c -> !c.header().isEmpty());
  }

  /**
   * Returns the compact view: only the columns {@link Builder#optCompact} named, in that order (the
   * table itself when it names none).
   *
   * @return the table a narrow layout renders
   */
  Table compact() {
    if (compactColumns.isEmpty()) {
      return this;
    }
    List<Column> cols = compactColumns.stream().map(columns::get).toList();
    List<Row> picked = new ArrayList<>();
    for (Row r : rows) {
      picked.add(new Row(compactColumns.stream().map(r.cells()::get).toList(), r.highlighted()));
    }
    return new Table(title, cols, picked, notes, List.of());
  }

  /** Builds a {@link Table}: columns first, then rows. */
  static final class Builder {

    private final String title;
    private final List<Column> columns = new ArrayList<>();
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private List<String> compact = List.of();

    private Builder(String title) {
      this.title = title;
    }

    /**
     * Adds a plain column.
     *
     * @param header its heading
     * @param align how its cells are aligned
     * @return this builder
     */
    Builder column(String header, Align align) {
      return column(header, align, Style.PLAIN);
    }

    /**
     * Adds a column.
     *
     * @param header its heading
     * @param align how its cells are aligned
     * @param style how its cells are set
     * @return this builder
     */
    Builder column(String header, Align align, Style style) {
      columns.add(new Column(header, align, style));
      return this;
    }

    /**
     * Adds a row.
     *
     * @param cells one per column
     * @return this builder
     */
    Builder row(String... cells) {
      rows.add(new Row(Arrays.asList(cells), false));
      return this;
    }

    /**
     * Adds a row, highlighted or not.
     *
     * @param highlighted whether it is the answer
     * @param cells one per column
     * @return this builder
     */
    Builder row(boolean highlighted, List<String> cells) {
      rows.add(new Row(cells, highlighted));
      return this;
    }

    /**
     * Adds a note below the table.
     *
     * @param note a sentence
     * @return this builder
     */
    Builder note(String note) {
      notes.add(note);
      return this;
    }

    /**
     * Names the columns of the compact view, in its order.
     *
     * @param headers headings of columns added before or after this call
     * @return this builder
     */
    Builder optCompact(String... headers) {
      compact = List.of(headers);
      return this;
    }

    /**
     * Builds the table.
     *
     * @return the table
     * @throws IllegalArgumentException if a row does not have one cell per column, or the compact
     *     view names a heading that is missing or not unique
     */
    Table build() {
      List<Integer> picked = new ArrayList<>();
      for (String h : compact) {
        picked.add(
            index(h)
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "'"
                                + title
                                + "' has no single column '"
                                + h
                                + "' for its compact view")));
      }
      return new Table(title, columns, rows, notes, picked);
    }

    private Optional<Integer> index(String header) {
      int found = -1;
      for (int i = 0; i < columns.size(); i++) {
        if (columns.get(i).header().equals(header)) {
          if (found >= 0) {
            return Optional.empty();
          }
          found = i;
        }
      }
      return found < 0 ? Optional.empty() : Optional.of(found);
    }
  }
}
