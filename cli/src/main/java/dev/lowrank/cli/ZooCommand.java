package dev.lowrank.cli;

import dev.lowrank.cli.internal.TextTable;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.eval.gate.Gate;
import dev.lowrank.eval.progress.ProgressBars;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.report.ReportWriters;
import dev.lowrank.io.OutputFiles;
import dev.lowrank.zoo.DigitsDemo;
import dev.lowrank.zoo.DjlExample;
import dev.lowrank.zoo.Example;
import dev.lowrank.zoo.ExampleTrainer;
import dev.lowrank.zoo.Examples;
import dev.lowrank.zoo.ZooRunner;
import dev.lowrank.zoo.ZooTable;
import dev.lowrank.zoo.service.ServiceComparison;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lowrank zoo}: real models on real data, trained, compressed and evaluated. */
@Command(
    name = "zoo",
    mixinStandardHelpOptions = true,
    description = {
      "The model zoo: DJL models trained on real data (cached after the first training) and"
          + " TorchScript models trained with PyTorch, compressed and evaluated end to end."
    },
    subcommands = {
      ZooCommand.ListCommand.class,
      ZooCommand.RunCommand.class,
      ZooCommand.ServeCommand.class,
      ZooCommand.TableCommand.class
    })
final class ZooCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code lowrank zoo list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "The examples, with data set, parameters and test accuracy.")
  static final class ListCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin VerboseOption verbose;

    @Override
    public Integer call() throws Exception {
      TextTable table = new TextTable("example", "model", "parameters", "accuracy", "data");
      for (Example e : Examples.all()) {
        Optional<Path> model = available(e);
        String params = "-";
        String accuracy = "not trained yet";
        if (model.isPresent()) {
          params = String.format(Locale.ROOT, "%,d", Compressor.inspect(model.get()).parameters());
          accuracy =
              String.format(
                  Locale.ROOT,
                  "%.2f%%",
                  100
                      * DigitsDemo.accuracy(
                          model.get(), e.testData(Integer.MAX_VALUE), e.sampleShape()));
        }
        table.row(e.name(), e.description(), params, accuracy, e.dataset());
      }
      PrintWriter out = spec.commandLine().getOut();
      out.print(table);
      out.println();
      out.println(
          "'lowrank zoo run NAME' trains a DJL example (once; then it is cached in "
              + ExampleTrainer.cacheRoot()
              + "), compresses and evaluates it.");
      out.flush();
      return ExitCodes.OK;
    }

    private static Optional<Path> available(Example e) throws java.io.IOException {
      if (e instanceof DjlExample d) {
        return ExampleTrainer.cached(d, d.training().orElseThrow(), ExampleTrainer.cacheRoot());
      }
      return Optional.of(ZooRunner.model(e));
    }
  }

  /** Exactly one setting for {@code zoo run}. */
  static final class Setting {
    @Option(names = "--rank", paramLabel = "R", description = "Factorize each layer to rank R.")
    Integer rank;

    @Option(
        names = "--ratio",
        paramLabel = "X",
        description = "Keep at most this share of weights.")
    Double ratio;

    @Option(
        names = "--energy",
        paramLabel = "E",
        description = "Smallest rank keeping this share of the energy (default 0.9).")
    Double energy;

    @Option(
        names = "--max-accuracy-drop",
        paramLabel = "D",
        description = "The smallest model whose accuracy drop stays within D (0.01 = 1 pp).")
    Double maxDrop;

    ZooRunner.Setting setting() {
      try {
        if (rank != null) {
          return new ZooRunner.Setting.Policy(RankPolicy.rank(rank));
        }
        if (ratio != null) {
          return new ZooRunner.Setting.Policy(RankPolicy.ratio(ratio));
        }
        if (energy != null) {
          return new ZooRunner.Setting.Policy(RankPolicy.energy(energy));
        }
        Gate.checkLimit(maxDrop);
        return new ZooRunner.Setting.MaxDrop(maxDrop);
      } catch (IllegalArgumentException e) {
        String option =
            rank != null
                ? "--rank"
                : ratio != null ? "--ratio" : energy != null ? "--energy" : "--max-accuracy-drop";
        throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
      }
    }
  }

  /** {@code lowrank zoo run NAME}. */
  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = {
        "Trains (or loads) an example, compresses it and evaluates it on its test data: the eval"
            + " report (same JSON schema as lowrank eval) and its table.",
        "With --max-accuracy-drop, exit 1 when no setting stays within the drop."
      })
  static final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "The example (see lowrank zoo list).")
    String name;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Setting setting;

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

    @Mixin VerboseOption verbose;

    @Override
    public Integer call() throws Exception {
      Example example = Examples.named(name);
      ZooRunner.Setting chosen =
          setting == null
              ? new ZooRunner.Setting.Policy(RankPolicy.energy(0.9))
              : setting.setting();
      if (finetune) {
        if (!(chosen instanceof ZooRunner.Setting.Policy p)) {
          throw new IllegalArgumentException("--finetune needs --rank, --ratio or --energy");
        }
        chosen = new ZooRunner.Setting.Finetuned(p.policy());
      }
      Path work =
          out != null ? Files.createDirectories(out) : Files.createTempDirectory("lowrank-zoo");
      PrintWriter w = spec.commandLine().getOut();
      try {
        ZooRunner.Run run =
            ZooRunner.run(example, chosen, work, latency.batchSizes(), ProgressBars.auto());
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
        w.print(ReportWriters.text().render(report));
        Compressor.manifest(run.compressed().orElseThrow())
            .flatMap(CompressionResult::finetune)
            .ifPresent(f -> w.println(f.summary()));
        for (Path file : reports.files()) {
          ReportWriters.write(report, file);
          w.println("report " + file);
        }
        if (out != null) {
          w.println("compressed model " + run.compressed().orElseThrow());
        }
        w.flush();
        return ExitCodes.OK;
      } finally {
        if (out == null) {
          OutputFiles.deleteRecursively(work);
        }
      }
    }
  }

  /** {@code lowrank zoo serve NAME}. */
  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = {
        "Serves an example's test samples from several threads (one DJL Predictor per worker"
            + " thread) with the original and the compressed model, and prints the request"
            + " latency the compressed model saves."
      })
  static final class ServeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "The example (see lowrank zoo list).")
    String name;

    @Option(names = "--rank", paramLabel = "R", required = true, description = "The rank.")
    int rank;

    @Option(
        names = "--threads",
        paramLabel = "N",
        defaultValue = "2",
        description = "Worker and client threads. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(
        names = "--requests",
        paramLabel = "N",
        defaultValue = "2000",
        description = "Requests per model. Default: ${DEFAULT-VALUE}.")
    int requests;

    @Mixin VerboseOption verbose;

    @Override
    public Integer call() throws Exception {
      Example example = Examples.named(name);
      Path original = ZooRunner.model(example);
      Path work = Files.createTempDirectory("lowrank-serve");
      try {
        Path compressed =
            work.resolve("model" + (original.toString().endsWith(".pt") ? ".pt" : ""));
        Compressor.compress(
            original,
            compressed,
            dev.lowrank.compress.CompressionSpec.builder()
                .setPolicy(RankPolicy.rank(rank))
                .build());
        ServiceComparison.Result r =
            ServiceComparison.compare(
                original,
                compressed,
                example.sampleShape(),
                example.testData(Integer.MAX_VALUE),
                threads,
                requests);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("%s at rank %d, served by InferenceService:%n%s%n", name, rank, r);
        w.flush();
        return ExitCodes.OK;
      } finally {
        OutputFiles.deleteRecursively(work);
      }
    }
  }

  /** {@code lowrank zoo table}. */
  @Command(
      name = "table",
      mixinStandardHelpOptions = true,
      description = {
        "Runs every example (or --examples) at several settings and prints the results table in"
            + " Markdown; --write puts it into a file between its markers (the zoo's README)."
      })
  static final class TableCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--examples",
        split = ",",
        paramLabel = "NAME,...",
        description = "Only these examples (default: all).")
    List<String> names;

    @Option(
        names = "--write",
        paramLabel = "FILE",
        description =
            "Replace the table between the markers in FILE (e.g. model-zoo-examples/README.md).")
    Path write;

    @Mixin VerboseOption verbose;

    @Override
    public Integer call() throws Exception {
      List<Example> examples = new ArrayList<>();
      if (names == null) {
        examples.addAll(Examples.all());
      } else {
        for (String n : names) {
          examples.add(Examples.named(n));
        }
      }
      if (write != null && !Files.isRegularFile(write)) {
        throw new IllegalArgumentException(write + ": no such file to write the table into");
      }
      Path work = Files.createTempDirectory("lowrank-zoo-table");
      String table;
      try {
        table = ZooTable.render(examples, work, ProgressBars.auto());
      } finally {
        OutputFiles.deleteRecursively(work);
      }
      PrintWriter w = spec.commandLine().getOut();
      w.print(table);
      if (write != null) {
        String text = Files.readString(write, StandardCharsets.UTF_8);
        int start = text.indexOf(ZooTable.START);
        int end = text.indexOf(ZooTable.END);
        if (start < 0 || end < start) {
          throw new IllegalArgumentException(
              write + ": lacks the table markers " + ZooTable.START + " ... " + ZooTable.END);
        }
        String updated =
            text.substring(0, start) + table + text.substring(end + ZooTable.END.length() + 1);
        OutputFiles.writeFile(
            write, tmp -> Files.writeString(tmp, updated, StandardCharsets.UTF_8));
        w.println("wrote " + write);
      }
      w.flush();
      return ExitCodes.OK;
    }
  }
}
