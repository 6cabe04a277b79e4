package dev.lowrank.cli.internal;

import dev.lowrank.compress.CalibrationSummary;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.format.LayerKind;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/** Text renderings of compression results for the terminal. */
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
    boolean data = result.layers().stream().anyMatch(l -> l.data().isPresent());
    TextTable table =
        data
            ? new TextTable(
                "layer",
                "shape",
                "rank",
                "params before",
                "params after",
                "energy",
                "error",
                "data energy",
                "data error",
                "optimum",
                "note")
            : new TextTable(
                "layer",
                "shape",
                "rank",
                "params before",
                "params after",
                "energy",
                "error",
                "note");
    for (LayerResult l : result.layers()) {
      String rank =
          l.rank().isPresent()
              ? l.rank().getAsInt() + l.form().map(f -> " " + f.label()).orElse("")
              : "-";
      String note =
          l.reason()
              .map(r -> "dense: " + r)
              .orElse(
                  String.join(
                      "; ",
                      Stream.of(
                              l.data().flatMap(d -> d.sharedWith()).map(w -> "shares " + w),
                              l.data().flatMap(d -> d.note()))
                          .flatMap(Optional::stream)
                          .toList()));
      if (data) {
        table.row(
            l.name(),
            l.layer().describe(),
            rank,
            l.parametersBefore(),
            l.parametersAfter(),
            String.format(Locale.ROOT, "%.4f", l.energyKept()),
            String.format(Locale.ROOT, "%.4f", l.relativeError()),
            l.data().map(d -> figure(d.dataEnergyKept())).orElse("-"),
            l.data().map(d -> figure(d.dataError())).orElse("-"),
            l.data().map(d -> figure(d.dataOptimum())).orElse("-"),
            note);
      } else {
        table.row(
            l.name(),
            l.layer().describe(),
            rank,
            l.parametersBefore(),
            l.parametersAfter(),
            String.format(Locale.ROOT, "%.4f", l.energyKept()),
            String.format(Locale.ROOT, "%.4f", l.relativeError()),
            note);
      }
    }
    String text = table.toString();
    if (result.calibration().isPresent()) {
      CalibrationSummary c = result.calibration().get();
      text +=
          String.format(
              Locale.ROOT,
              "calibration: %s, %d samples, %,d tokens%s%s%n",
              c.source(),
              c.samples(),
              c.tokens(),
              c.mask().map(m -> ", padding from " + m).orElse(""),
              c.sharedInputs().isEmpty()
                  ? ""
                  : "; shared inputs: "
                      + c.sharedInputs().stream().map(g -> String.join("/", g)).toList());
    }
    return text;
  }

  private static String figure(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
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
}
