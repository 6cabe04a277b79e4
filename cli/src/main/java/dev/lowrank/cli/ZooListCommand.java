package dev.lowrank.cli;

import dev.lowrank.cli.internal.TextTable;
import dev.lowrank.compress.Compressor;
import dev.lowrank.zoo.DigitsDemo;
import dev.lowrank.zoo.DjlExample;
import dev.lowrank.zoo.Example;
import dev.lowrank.zoo.ExampleTrainer;
import dev.lowrank.zoo.Examples;
import dev.lowrank.zoo.ZooRunner;
import dev.lowrank.zoo.minilm.MiniLmExample;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code lowrank zoo list}: the examples, with data set, parameters and test accuracy. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "The examples, with data set, parameters and test accuracy.")
final class ZooListCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

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
    Path minilm = MiniLmExample.model(ExampleTrainer.cacheRoot());
    table.row(
        MiniLmExample.NAME,
        MiniLmExample.DESCRIPTION,
        String.format(Locale.ROOT, "%,d", Compressor.inspect(minilm).parameters()),
        "-",
        MiniLmExample.DATASET);
    PrintWriter out = spec.commandLine().getOut();
    out.print(table);
    out.println();
    out.println(
        "'lowrank zoo run NAME' trains a DJL example (once; then it is cached in "
            + ExampleTrainer.cacheRoot()
            + "), compresses and evaluates it. 'lowrank zoo run "
            + MiniLmExample.NAME
            + "' compresses the text encoder plain and data-aware and measures retrieval,"
            + " spam/ham accuracy, the cosine to the original and latency (it has no accuracy of"
            + " its own, hence -).");
    out.flush();
    return ExitCodes.OK;
  }

  private static Optional<Path> available(Example e) throws IOException {
    if (e instanceof DjlExample d) {
      return ExampleTrainer.cached(d, d.training().orElseThrow(), ExampleTrainer.cacheRoot());
    }
    return Optional.of(ZooRunner.model(e));
  }
}
