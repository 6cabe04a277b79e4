package dev.lowrank.cli.internal;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.format.LayerKind;
import dev.lowrank.io.OutputFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** Text renderings of compression results for the terminal, and report files. */
public final class Reports {

  private Reports() {}

  /**
   * Renders one row per layer: its shape (a convolution's kernel and geometry), the rank (and a
   * convolution's form), parameters, energy, error and why it stayed dense.
   *
   * @param result the result
   * @return the table text
   */
  public static String layerTable(CompressionResult result) {
    TextTable table =
        new TextTable(
            "layer", "shape", "rank", "params before", "params after", "energy", "error", "note");
    for (LayerResult l : result.layers()) {
      table.row(
          l.name(),
          l.layer().describe(),
          l.rank().isPresent()
              ? l.rank().getAsInt() + l.form().map(f -> " " + f.label()).orElse("")
              : "-",
          l.parametersBefore(),
          l.parametersAfter(),
          String.format(Locale.ROOT, "%.4f", l.energyKept()),
          String.format(Locale.ROOT, "%.4f", l.relativeError()),
          l.reason().map(r -> "dense: " + r).orElse(""));
    }
    return table.toString();
  }

  /**
   * Renders the model totals in one line.
   *
   * @param result the result
   * @return e.g. {@code parameters: 50,826 -> 12,938 (25.5%), 2 of 3 linear layers factorized}
   */
  public static String totals(CompressionResult result) {
    long convs = result.layers().stream().filter(l -> l.layer().kind() == LayerKind.CONV2D).count();
    return String.format(
        Locale.ROOT,
        "parameters: %,d -> %,d (%.1f%%), %d of %d %s factorized",
        result.parametersOriginal(),
        result.parametersCompressed(),
        100 * result.parameterRatio(),
        result.factorizedLayers().size(),
        result.layers().size(),
        convs == 0 ? "linear layers" : "layers (" + convs + " convolutions)");
  }

  /**
   * Writes a JSON report atomically.
   *
   * @param path the report file
   * @param json the document
   * @throws IOException if it cannot be written
   */
  public static void writeJson(Path path, String json) throws IOException {
    OutputFiles.writeString(path, json);
  }
}
