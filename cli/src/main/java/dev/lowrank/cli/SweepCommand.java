package dev.lowrank.cli;

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

  /** Exactly one list of settings. */
  static final class Settings {
    @Option(names = "--ranks", split = ",", paramLabel = "R,R,...", description = "Ranks to try.")
    List<Integer> ranks;

    @Option(
        names = "--energies",
        split = ",",
        paramLabel = "E,E,...",
        description = "Energy thresholds to try, each in (0, 1].")
    List<Double> energies;

    @Option(
        names = "--ratios",
        split = ",",
        paramLabel = "X,X,...",
        description = "Parameter ratios to try, each in (0, 1).")
    List<Double> ratios;

    List<RankPolicy> policies() {
      List<RankPolicy> out = new ArrayList<>();
      try {
        if (ranks != null) {
          ranks.forEach(r -> out.add(RankPolicy.rank(r)));
        } else if (energies != null) {
          energies.forEach(e -> out.add(RankPolicy.energy(e)));
        } else {
          ratios.forEach(x -> out.add(RankPolicy.ratio(x)));
        }
      } catch (IllegalArgumentException e) {
        String option = ranks != null ? "--ranks" : energies != null ? "--energies" : "--ratios";
        throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
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

  @Mixin DataOptions data;

  @Mixin PolicyOptions policy;

  @Mixin ConvOptions conv;

  @Mixin ReportOptions reports;

  @Mixin VerboseOption verbose;

  @Override
  public Integer call() throws Exception {
    if (policy.hasPolicy()) {
      throw new IllegalArgumentException(
          "a sweep takes its settings from --ranks, --energies or --ratios, not --rank/--ratio/--energy");
    }
    Sweep.Builder b =
        Sweep.builder()
            .setModel(model)
            .setData(data.source())
            .setPolicies(settings.policies())
            .optSpecs(p -> conv.apply(policy.spec(p)))
            .optProgress(ProgressBars.auto());
    data.shape().ifPresent(b::optInputShape);
    SweepResult result = b.build().run();
    PrintWriter out = spec.commandLine().getOut();
    out.print(ReportWriters.text().render(result));
    for (Path file : reports.files()) {
      ReportWriters.write(result, file);
      out.println("report " + file);
    }
    out.flush();
    return ExitCodes.OK;
  }
}
