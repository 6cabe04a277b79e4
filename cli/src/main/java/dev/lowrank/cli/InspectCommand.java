package dev.lowrank.cli;

import dev.lowrank.cli.internal.TextTable;
import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.LayerSummary;
import dev.lowrank.compress.ModelSummary;
import dev.lowrank.data.SampleShape;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerKind;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lowrank inspect}: lists a model's linear layers, attention projections and convolutions,
 * and the ranks energy would need.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
      "Lists every linear layer, attention projection and convolution of a model: its shape n x m"
          + " (a convolution's kernel C_out x C_in x kh x kw, truncated as C_out x C_in*kh*kw), its"
          + " parameters, and the rank that keeping 90%% and 99%% of its energy (sum of s_i^2)"
          + " would need; with --calibration, also the ranks that keep 90%% and 99%% of the"
          + " layer's output energy on the data."
    })
final class InspectCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "PATH",
      description = "The model: a TorchScript .pt file or a DJL model directory.")
  Path model;

  @Mixin CalibrationOptions calibration;

  @Mixin TextOptions text;

  @Option(
      names = "--input-shape",
      paramLabel = "SHAPE",
      description = "Shape of one calibration sample, e.g. 1x8x8 (default: as compress reads it).")
  String inputShape;

  @Override
  public Integer call() throws Exception {
    calibration.check();
    text.check(calibration.arg());
    Optional<Calibration> data =
        calibration.calibration(Optional.ofNullable(inputShape).map(SampleShape::parse), text);
    ModelSummary summary =
        data.isPresent() ? Compressor.inspect(model, data.get()) : Compressor.inspect(model);
    TextTable table =
        data.isPresent()
            ? new TextTable(
                "layer",
                "shape",
                "params",
                "rank@0.9",
                "rank@0.99",
                "data@0.9",
                "data@0.99",
                "max rank",
                "note")
            : new TextTable(
                "layer", "shape", "params", "rank@0.9", "rank@0.99", "max rank", "note");
    for (LayerSummary s : summary.layers()) {
      Layer l = s.layer();
      String note =
          l.lowRank().isPresent()
              ? "factorized, rank " + l.lowRank().getAsInt()
              : l.ineligible().map(r -> "stays dense: " + r).orElse("");
      long n = l.outFeatures();
      long m = l.inFeatures();
      if (data.isPresent()) {
        table.row(
            l.name(),
            l.describe(),
            l.parameters(),
            rank(s.rankForEnergy(0.9)),
            rank(s.rankForEnergy(0.99)),
            rank(s.rankForDataEnergy(0.9)),
            rank(s.rankForDataEnergy(0.99)),
            n * m / (n + m),
            note);
      } else {
        table.row(
            l.name(),
            l.describe(),
            l.parameters(),
            rank(s.rankForEnergy(0.9)),
            rank(s.rankForEnergy(0.99)),
            n * m / (n + m),
            note);
      }
    }
    PrintWriter w = spec.commandLine().getOut();
    long convs =
        summary.layers().stream().filter(s -> s.layer().kind() == LayerKind.CONV2D).count();
    w.printf(
        "%s (%s): %,d parameters, %,d in %d %s%n%n",
        summary.path(),
        summary.format(),
        summary.parameters(),
        summary.linearParameters(),
        summary.layers().size(),
        convs == 0 ? "linear layers" : "layers (" + convs + " convolutions)");
    summary
        .manifest()
        .ifPresent(
            m ->
                w.printf(
                    "compressed by lowrank %s from %s (sha256 %s), %s%n%n",
                    m.toolVersion(),
                    m.inputFile().orElse("an in-memory model"),
                    m.inputSha256().map(h -> h.substring(0, 12) + "...").orElse("-"),
                    m.settings()));
    w.print(table);
    w.println();
    if (data.isPresent()) {
      w.println(
          "data@E: the rank keeping E of the layer's output energy on the calibration data (the"
              + " whitened spectrum, sum s_i(W C)^2), next to rank@E of the weight's energy.");
    }
    w.println("max rank: the largest r with r(n+m) < nm; a higher rank would not save weights.");
    w.flush();
    return ExitCodes.OK;
  }

  private static String rank(OptionalInt r) {
    return r.isPresent() ? Integer.toString(r.getAsInt()) : "-";
  }
}
