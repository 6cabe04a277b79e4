package dev.lowrank.cli;

import dev.lowrank.cli.internal.Outputs;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.eval.progress.ProgressBars;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.report.ReportWriters;
import dev.lowrank.io.TemporaryFiles;
import dev.lowrank.zoo.Example;
import dev.lowrank.zoo.ExampleTrainer;
import dev.lowrank.zoo.Examples;
import dev.lowrank.zoo.ZooRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lowrank zoo run NAME}: train (or load), compress and evaluate one example. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Trains (or loads) an example, compresses it and evaluates it on its test data: the eval"
          + " report (same JSON schema as lowrank eval) and its table. Without a setting:"
          + " --energy 0.9.",
      "With --max-accuracy-drop, exit 1 when no setting stays within the drop."
    })
final class ZooRunCommand implements Callable<Integer> {

  /** The setting when none is given. */
  static final double DEFAULT_ENERGY = 0.9;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "The example (see lowrank zoo list).")
  String name;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  SettingChoice setting;

  @Mixin LatencyOptions latency;

  @Option(
      names = "--finetune",
      description =
          "After --rank/--ratio/--energy, fine-tune the factors by distillation on the"
              + " example's training split (the + fine-tune rows of zoo table).")
  boolean finetune;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Where to keep the compressed model (default: a temporary directory).")
  Path out;

  @Mixin ReportOptions reports;

  /**
   * Returns the setting the options name.
   *
   * @return the setting, energy 0.9 when none was given
   * @throws IllegalArgumentException naming the option if a value is out of range
   */
  ZooRunner.Setting chosen() {
    if (setting == null) {
      return new ZooRunner.Setting.Policy(RankPolicy.energy(DEFAULT_ENERGY));
    }
    OptionalDouble maxDrop = setting.maxAccuracyDrop();
    if (maxDrop.isPresent()) {
      return new ZooRunner.Setting.MaxDrop(maxDrop.getAsDouble());
    }
    return new ZooRunner.Setting.Policy(setting.policy());
  }

  private ZooRunner.Setting withFinetune(ZooRunner.Setting chosen) {
    if (!finetune) {
      return chosen;
    }
    if (!(chosen instanceof ZooRunner.Setting.Policy p)) {
      throw new IllegalArgumentException("--finetune needs --rank, --ratio or --energy");
    }
    return new ZooRunner.Setting.Finetuned(p.policy());
  }

  @Override
  public Integer call() throws Exception {
    Example example = Examples.named(name);
    ZooRunner.Setting chosen = withFinetune(chosen());
    List<Integer> batchSizes = latency.batchSizes();
    reports.checkFormats();
    Outputs.Builder files =
        Outputs.builder().optInput(ZooCommand.CACHE, ExampleTrainer.cacheRoot());
    if (out != null) {
      files.optOutput("--out", out, Outputs.Kind.DIRECTORY);
    }
    files.optOutputs(ReportOptions.OPTION, reports.files(), Outputs.Kind.FILE);
    try (Outputs outputs = files.build()) {
      Path work;
      if (out == null) {
        work = TemporaryFiles.createDirectory("lowrank-zoo");
      } else {
        work = out;
        if (!Files.exists(out)) {
          Files.createDirectories(out);
          outputs.written(out);
        }
      }
      Set<Path> before = entries(work);
      try {
        int code = run(example, chosen, batchSizes, work, outputs);
        outputs.commit();
        return code;
      } finally {
        if (out == null) {
          TemporaryFiles.delete(work);
        } else {
          // What the run added to an existing --out is removed again if it fails.
          for (Path p : entriesOrNone(work)) {
            if (!before.contains(p) && p.getFileName().toString().startsWith(example.name())) {
              outputs.written(p);
            }
          }
        }
      }
    }
  }

  private int run(
      Example example,
      ZooRunner.Setting chosen,
      List<Integer> batchSizes,
      Path work,
      Outputs outputs)
      throws Exception {
    ZooRunner.Run run = ZooRunner.run(example, chosen, work, batchSizes, ProgressBars.auto());
    PrintWriter w = spec.commandLine().getOut();
    w.printf(
        "%s (%s) on %s, %s%n%n",
        example.name(), example.description(), example.dataset(), chosen.describe());
    if (run.search().isPresent()) {
      w.print(ReportWriters.text().render(run.search().get()));
      w.println();
    }
    if (run.report().isEmpty()) {
      w.flush();
      PrintWriter err = spec.commandLine().getErr();
      err.println("lowrank zoo run: " + name + ": " + run.search().orElseThrow().summary());
      err.flush();
      return ExitCodes.CHECK_FAILED;
    }
    EvalReport report = run.report().get();
    for (Path file : reports.files()) {
      outputs.writeText(file, ReportOptions.writer(file).render(report));
    }
    w.print(ReportWriters.text().render(report));
    Compressor.manifest(run.compressed().orElseThrow())
        .flatMap(CompressionResult::finetune)
        .ifPresent(f -> w.println(f.summary()));
    for (Path file : reports.files()) {
      w.println("report " + file);
    }
    if (out != null) {
      w.println("compressed model " + run.compressed().orElseThrow());
    }
    w.flush();
    return ExitCodes.OK;
  }

  private static Set<Path> entries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.collect(Collectors.toSet());
    }
  }

  private static Set<Path> entriesOrNone(Path dir) {
    try {
      return entries(dir);
    } catch (IOException e) {
      return Set.of();
    }
  }
}
