package dev.lowrank.data.internal;

import dev.lowrank.data.DataFileException;
import dev.lowrank.data.DataOptions;
import dev.lowrank.data.Dataset;
import dev.lowrank.io.InputFileException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/** Reads a CSV file with a header: numeric feature columns and, optionally, a label column. */
public final class CsvReader {

  private static final int MAX_LISTED_COLUMNS = 8;

  private CsvReader() {}

  /**
   * Reads the file.
   *
   * @param path a {@code .csv} or {@code .csv.gz} file
   * @param options the label column, or unlabeled
   * @return the samples
   * @throws DataFileException if the file is malformed, empty, or lacks the label column
   */
  public static Dataset read(Path path, DataOptions options) throws DataFileException {
    try (InputStream raw = Files.newInputStream(path);
        InputStream in =
            path.toString().toLowerCase(Locale.ROOT).endsWith(".gz")
                ? new GZIPInputStream(raw)
                : raw;
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String headerLine = reader.readLine();
      while (headerLine != null && headerLine.isBlank()) {
        headerLine = reader.readLine();
      }
      if (headerLine == null) {
        throw new DataFileException(path, "is empty (expected a header row and samples)");
      }
      String[] header = split(stripBom(headerLine));
      int labelIndex = -1;
      if (!options.unlabeled()) {
        labelIndex = Arrays.asList(header).indexOf(options.labelColumn());
        if (labelIndex < 0) {
          throw new DataFileException(
              path,
              "label column '"
                  + options.labelColumn()
                  + "' is absent (columns: "
                  + listColumns(header)
                  + "); name it with --label-column, or read the data unlabeled");
        }
      }
      int width = header.length - (labelIndex >= 0 ? 1 : 0);
      if (width < 1) {
        throw new DataFileException(path, "has no feature column besides the labels");
      }
      FloatList features = new FloatList();
      List<Integer> labels = new ArrayList<>();
      String line;
      int lineNo = 1;
      while ((line = reader.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String[] cells = split(line);
        if (cells.length != header.length) {
          throw new DataFileException(
              path,
              "line " + lineNo + " has " + cells.length + " cells, the header " + header.length);
        }
        for (int c = 0; c < cells.length; c++) {
          float v = parse(path, lineNo, header[c], cells[c]);
          if (c == labelIndex) {
            labels.add(label(path, lineNo, header[c], cells[c], v));
          } else {
            features.add(v);
          }
        }
      }
      if (features.size() == 0) {
        throw new DataFileException(path, "holds a header but no samples");
      }
      Dataset.Builder b =
          Dataset.builder()
              .setName(path.getFileName().toString())
              .optSource(path)
              .optFormat("csv")
              .setFeatures(features.toArray(), width);
      if (labelIndex >= 0) {
        b.optLabels(labels.stream().mapToInt(Integer::intValue).toArray());
      }
      return b.build();
    } catch (IOException e) {
      throw new DataFileException(path, "cannot be read (" + e.getMessage() + ")", e);
    }
  }

  private static String stripBom(String s) {
    return s.startsWith("\uFEFF") ? s.substring(1) : s;
  }

  private static String[] split(String line) {
    String[] cells = line.split(",", -1);
    for (int i = 0; i < cells.length; i++) {
      String c = cells[i].trim();
      if (c.length() >= 2 && c.startsWith("\"") && c.endsWith("\"")) {
        c = c.substring(1, c.length() - 1).trim();
      }
      cells[i] = c;
    }
    return cells;
  }

  private static float parse(Path path, int lineNo, String column, String cell)
      throws DataFileException {
    try {
      float v = Float.parseFloat(cell);
      if (!Float.isFinite(v)) {
        throw new DataFileException(
            path, "line " + lineNo + ", column '" + column + "': " + cell + " is not finite");
      }
      return v;
    } catch (NumberFormatException e) {
      throw new DataFileException(
          path, "line " + lineNo + ", column '" + column + "': '" + cell + "' is not a number", e);
    }
  }

  private static int label(Path path, int lineNo, String column, String cell, float v)
      throws DataFileException {
    Optional<String> problem = Labels.problem(v);
    if (problem.isPresent()) {
      // Show the value as parsed when it is not an integer, the cell as written when too large.
      String shown = v > Labels.MAX ? InputFileException.quote(cell) : Float.toString(v);
      throw new DataFileException(
          path,
          "line " + lineNo + ", column '" + column + "': label " + shown + " " + problem.get());
    }
    return (int) v;
  }

  private static String listColumns(String[] header) {
    if (header.length <= MAX_LISTED_COLUMNS) {
      return String.join(", ", header);
    }
    List<String> shown = new ArrayList<>(Arrays.asList(header).subList(0, 3));
    shown.add("...");
    shown.addAll(Arrays.asList(header).subList(header.length - 3, header.length));
    return String.join(", ", shown) + " (" + header.length + " in all)";
  }

  /** A growable float array. */
  static final class FloatList {
    private float[] values = new float[1024];
    private int size;

    void add(float v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, Math.multiplyExact(values.length, 2));
      }
      values[size++] = v;
    }

    int size() {
      return size;
    }

    float[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }
}
