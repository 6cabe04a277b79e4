package dev.lowrank.cli;

import dev.lowrank.cli.internal.MarkedSection;
import dev.lowrank.cli.internal.Outputs;
import dev.lowrank.eval.progress.ProgressBars;
import dev.lowrank.io.TemporaryFiles;
import dev.lowrank.zoo.CalibrationTable;
import dev.lowrank.zoo.Example;
import dev.lowrank.zoo.ExampleTrainer;
import dev.lowrank.zoo.Examples;
import dev.lowrank.zoo.ZooTable;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowrank zoo table}: the zoo's results table, regenerated. */
@Command(
    name = "table",
    mixinStandardHelpOptions = true,
    description = {
      "Runs every example (or --examples) at several settings and prints the results table in"
          + " Markdown; --write puts it into a file between its markers (the zoo's README)."
    })
final class ZooTableCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--examples",
      split = ",",
      splitSynopsisLabel = ",",
      paramLabel = "NAME",
      description = "Only these examples (default: all).")
  List<String> names;

  @Option(
      names = "--write",
      paramLabel = "FILE",
      description =
          "Replace the table between the markers in FILE (e.g. model-zoo-examples/README.md).")
  Path write;

  @Option(
      names = "--calibration",
      description =
          "Instead: plain, whitened, activation and sequential truncation at the same weights,"
              + " and global budgets, calibrated on each example's training split.")
  boolean calibration;

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
    Outputs.Builder files =
        Outputs.builder().optInput(ZooCommand.CACHE, ExampleTrainer.cacheRoot());
    String startMarker = calibration ? CalibrationTable.START : ZooTable.START;
    String endMarker = calibration ? CalibrationTable.END : ZooTable.END;
    if (write != null) {
      files.optOutput("--write", write, Outputs.Kind.FILE);
    }
    try (Outputs outputs = files.build()) {
      if (write != null) {
        MarkedSection.check(write, startMarker, endMarker);
      }
      Path work = TemporaryFiles.createDirectory("lowrank-zoo-table");
      String table;
      try {
        table =
            calibration
                ? CalibrationTable.render(examples, work)
                : ZooTable.render(examples, work, ProgressBars.auto());
      } finally {
        TemporaryFiles.delete(work);
      }
      PrintWriter w = spec.commandLine().getOut();
      w.print(table);
      if (write != null) {
        outputs.writeText(write, MarkedSection.replace(write, startMarker, endMarker, table));
        w.println("wrote " + write);
      }
      outputs.commit();
      w.flush();
      return ExitCodes.OK;
    }
  }
}
