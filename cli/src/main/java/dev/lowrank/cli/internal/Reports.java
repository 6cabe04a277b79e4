package dev.lowrank.cli.internal;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.LayerResult;
import java.util.Locale;

/** Text renderings of compression results for the terminal. */
public final class Reports {

  private Reports() {}

  /**
   * Renders one row per linear layer.
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
          l.layer().shape(),
          l.rank().isPresent() ? Integer.toString(l.rank().getAsInt()) : "-",
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
    return String.format(
        Locale.ROOT,
        "parameters: %,d -> %,d (%.1f%%), %d of %d linear layers factorized",
        result.parametersOriginal(),
        result.parametersCompressed(),
        100 * result.parameterRatio(),
        result.factorizedLayers().size(),
        result.layers().size());
  }
}
