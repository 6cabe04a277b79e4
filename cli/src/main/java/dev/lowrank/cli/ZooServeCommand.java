package dev.lowrank.cli;

import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.io.TemporaryFiles;
import dev.lowrank.zoo.Example;
import dev.lowrank.zoo.Examples;
import dev.lowrank.zoo.ZooRunner;
import dev.lowrank.zoo.service.ServiceComparison;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lowrank zoo serve NAME}: request latency of an inference service, before and after. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serves an example's test samples from several threads (one DJL Predictor per worker"
          + " thread) with the original and the compressed model, and prints the request"
          + " latency the compressed model saves."
    })
final class ZooServeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "The example (see lowrank zoo list).")
  String name;

  @ArgGroup(exclusive = true, multiplicity = "1")
  PolicyChoice policy;

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

  @Override
  public Integer call() throws Exception {
    RankPolicy chosen = policy.policy();
    Example example = Examples.named(name);
    Path original = ZooRunner.model(example);
    Path work = TemporaryFiles.createDirectory("lowrank-serve");
    try {
      Path compressed = work.resolve("model" + (original.toString().endsWith(".pt") ? ".pt" : ""));
      Compressor.compress(
          original, compressed, CompressionSpec.builder().setPolicy(chosen).build());
      ServiceComparison.Result r =
          ServiceComparison.compare(
              original,
              compressed,
              example.sampleShape(),
              example.testData(Integer.MAX_VALUE),
              threads,
              requests);
      PrintWriter w = spec.commandLine().getOut();
      w.printf("%s at %s, served by InferenceService:%n%s%n", name, chosen.describe(), r);
      w.flush();
      return ExitCodes.OK;
    } finally {
      TemporaryFiles.delete(work);
    }
  }
}
