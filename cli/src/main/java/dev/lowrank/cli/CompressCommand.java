package dev.lowrank.cli;

import dev.lowrank.cli.internal.Reports;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.eval.gate.Gate;
import dev.lowrank.eval.progress.ProgressBars;
import dev.lowrank.eval.report.ReportWriters;
import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.sweep.SmallestModelSearch;
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
      "manifest of what was done. The input is never modified. With --finetune DATA the",
      "factors are then trained on DATA (DJL and TorchScript models only)."
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

  @Option(
      names = "--max-accuracy-drop",
      paramLabel = "D",
      description =
          "Instead of --rank/--ratio/--energy: find the smallest model whose top-1 accuracy drop on"
              + " --data stays within D (a fraction, 0.01 = one percentage point), write it, and"
              + " say which setting it is. Exit 1 if no setting stays within D.")
  Double maxDrop;

  @Mixin DataOptions data;

  @Mixin FinetuneOptions finetune;

  @Mixin VerboseOption verbose;

  @Override
  public Integer call() throws Exception {
    if (maxDrop != null) {
      finetune.refuseWith("--max-accuracy-drop");
      return search();
    }
    if (data.present()) {
      throw new IllegalArgumentException("--data is only used with --max-accuracy-drop");
    }
    CompressionSpec compression = withModel(() -> finetune.addTo(policy.spec(), data.shape()));
    CompressionResult result = withModel(() -> Compressor.compress(model, out, compression));
    PrintWriter w = spec.commandLine().getOut();
    w.print(Reports.layerTable(result));
    w.println(Reports.totals(result));
    FinetuneOptions.print(result, w);
    w.println("wrote " + out);
    if (report != null) {
      Reports.writeJson(report, result.toJson());
      w.println("report " + report);
    }
    w.flush();
    return ExitCodes.OK;
  }

  private int search() throws Exception {
    if (policy.hasPolicy()) {
      throw new IllegalArgumentException(
          "give either --max-accuracy-drop (the search picks the setting) or one of --rank,"
              + " --ratio, --energy");
    }
    Gate.checkLimit(maxDrop);
    SmallestModelSearch.Builder b =
        SmallestModelSearch.builder()
            .setModel(model)
            .setData(data.source())
            .setMaxAccuracyDrop(maxDrop)
            .optSpecs(policy::spec)
            .optOutput(out)
            .optProgress(ProgressBars.auto());
    data.shape().ifPresent(b::optInputShape);
    SearchResult result = withModel(() -> b.build().run());
    PrintWriter w = spec.commandLine().getOut();
    w.print(ReportWriters.text().render(result));
    if (result.chosen().isEmpty()) {
      w.flush();
      PrintWriter err = spec.commandLine().getErr();
      err.println("lowrank compress: " + model + ": " + result.summary());
      err.flush();
      return ExitCodes.CHECK_FAILED;
    }
    CompressionResult chosen = result.chosen().get().compression();
    w.print(Reports.layerTable(chosen));
    w.println(Reports.totals(chosen));
    w.println("chosen " + result.summary());
    w.println("wrote " + out);
    if (report != null) {
      Reports.writeJson(report, chosen.toJson());
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
