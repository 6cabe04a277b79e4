package dev.lowrank.cli;

import dev.lowrank.cli.internal.Outputs;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.eval.progress.ProgressBars;
import dev.lowrank.eval.report.ReportWriters;
import dev.lowrank.eval.sweep.Sweep;
import dev.lowrank.eval.sweep.SweepResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowrank sweep}: accuracy against parameters across compression settings. */
@Command(
    name = "sweep",
    mixinStandardHelpOptions = true,
    description = {
      "Compresses a model at several settings and evaluates each: the curve of accuracy against"
          + " parameters, as a table and (with --report x.html) a plot."
    })
final class SweepCommand implements Callable<Integer> {

  /** Exactly one list of settings, each mapped by {@link PolicyChoice}. */
  static final class Settings {
    @Option(
        names = "--ranks",
        split = ",",
        splitSynopsisLabel = ",",
        paramLabel = "R",
        description = "Ranks to try, e.g. 4,8,16,32.")
    List<Integer> ranks;

    @Option(
        names = "--energies",
        split = ",",
        splitSynopsisLabel = ",",
        paramLabel = "E",
        description = "Energy thresholds to try, each in (0, 1].")
    List<Double> energies;

    @Option(
        names = "--ratios",
        split = ",",
        splitSynopsisLabel = ",",
        paramLabel = "X",
        description = "Parameter ratios to try, each in (0, 1).")
    List<Double> ratios;

    List<RankPolicy> policies() {
      List<RankPolicy> out = new ArrayList<>();
      if (ranks != null) {
        ranks.forEach(r -> out.add(PolicyChoice.rank("--ranks", r)));
      } else if (energies != null) {
        energies.forEach(e -> out.add(PolicyChoice.energy("--energies", e)));
      } else {
        ratios.forEach(x -> out.add(PolicyChoice.ratio("--ratios", x)));
      }
      return out;
    }
  }

  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "MODEL",
      description = "The model to compress (TorchScript .pt or DJL model directory).")
  Path model;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Settings settings;

  @Mixin EvalDataOptions data;

  @Mixin CompressionOptions compression;

  @Mixin CalibrationOptions calibration;

  @Mixin ConvOptions conv;

  @Mixin TextOptions text;

  @Mixin PoolingOptions pooling;

  @Mixin ReportOptions reports;

  @Override
  public Integer call() throws Exception {
    if (calibration.minFidelity().isPresent()) {
      throw new IllegalArgumentException("--min-fidelity is a search criterion of compress");
    }
    List<RankPolicy> policies = settings.policies();
    reports.checkFormats();
    text.check(data.arg(), calibration.arg());
    pooling.check();
    Outputs.Builder files = Outputs.builder().optInput("--model", model);
    data.file().ifPresent(f -> files.optInput("--data", f));
    calibration.file().ifPresent(f -> files.optInput("--calibration", f));
    text.addInput(files);
    files.optOutputs(ReportOptions.OPTION, reports.files(), Outputs.Kind.FILE);
    try (Outputs outputs = files.build()) {
      Sweep.Builder b =
          Sweep.builder()
              .setModel(model)
              .setData(data.source(text))
              .setPolicies(policies)
              .optSpecs(p -> calibration.apply(conv.apply(compression.spec(p)), data.shape(), text))
              .optProgress(ProgressBars.auto());
      data.shape().ifPresent(b::optInputShape);
      pooling.pooling().ifPresent(b::optPooling);
      SweepResult result = b.build().run();
      for (Path file : reports.files()) {
        outputs.writeText(file, ReportOptions.writer(file).render(result));
      }
      outputs.commit();
      PrintWriter out = spec.commandLine().getOut();
      out.print(ReportWriters.text().render(result));
      for (Path file : reports.files()) {
        out.println("report " + file);
      }
      out.flush();
      return ExitCodes.OK;
    }
  }
}
