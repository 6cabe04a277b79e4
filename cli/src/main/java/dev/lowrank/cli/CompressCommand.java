package dev.lowrank.cli;

import dev.lowrank.cli.internal.Reports;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lowrank compress}: writes a model whose chosen linear layers hold B and A instead of W.
 */
@Command(
    name = "compress",
    mixinStandardHelpOptions = true,
    description = {
      "Replaces each chosen linear layer's W (n x m) by B (n x r) and A (r x m) from its",
      "truncated SVD and writes the model (TorchScript file or DJL model directory) with a",
      "manifest of what was done. The input is never modified."
    })
final class CompressCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "IN",
      description = "The model: a TorchScript .pt file or a DJL model directory.")
  Path model;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "OUT",
      description = "Where to write the compressed model (not the input).")
  Path out;

  @Mixin PolicyOptions policy;

  @Option(
      names = "--report",
      paramLabel = "R.json",
      description = "Also write the per-layer report as JSON.")
  Path report;

  @Mixin VerboseOption verbose;

  @Override
  public Integer call() throws Exception {
    CompressionSpec compression = withModel(policy::spec);
    CompressionResult result = withModel(() -> Compressor.compress(model, out, compression));
    PrintWriter w = spec.commandLine().getOut();
    w.print(Reports.layerTable(result));
    w.println(Reports.totals(result));
    w.println("wrote " + out);
    if (report != null) {
      Reports.writeJson(report, result.toJson());
      w.println("report " + report);
    }
    w.flush();
    return ExitCodes.OK;
  }

  /** Runs a step and prefixes misuse messages with the model path, so they name the file. */
  private <T> T withModel(Callable<T> step) throws Exception {
    try {
      return step.call();
    } catch (IllegalArgumentException e) {
      String msg = e.getMessage();
      if (msg != null && (msg.startsWith(model.toString()) || msg.startsWith(out.toString()))) {
        throw e;
      }
      throw new IllegalArgumentException(model + ": " + msg, e);
    }
  }
}
