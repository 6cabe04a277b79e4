package dev.lowrank.cli;

import dev.lowrank.eval.Evaluation;
import dev.lowrank.eval.gate.Gate;
import dev.lowrank.eval.gate.GateVerdict;
import dev.lowrank.eval.gate.JUnitXmlReport;
import dev.lowrank.eval.progress.ProgressBars;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.report.ReportWriters;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowrank eval}: how much smaller, how much faster, how much worse; and the CI gate. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = {
      "Compares a compressed model with its original on real data: parameters (total and per"
          + " linear layer), size on disk, latency (p50/p95 per batch size, interleaved),"
          + " accuracy and its drop, or output fidelity without labels.",
      "With --max-accuracy-drop it is a CI gate: exit 0 within the drop, 1 past it, 2 for bad"
          + " input."
    })
final class EvalCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "ORIGINAL",
      description = "The original model (TorchScript .pt or DJL model directory).")
  Path model;

  @Option(
      names = "--compressed",
      required = true,
      paramLabel = "COMPRESSED",
      description = "The compressed model.")
  Path compressed;

  @Mixin DataOptions data;

  @Mixin TextOptions text;

  @Mixin LatencyOptions latency;

  @Option(
      names = "--max-accuracy-drop",
      paramLabel = "D",
      description =
          "Gate: fail (exit 1) when the top-1 accuracy drop exceeds D, a fraction (0.01 = one"
              + " percentage point); without labels, when the top-1 disagreement exceeds D.")
  Double maxDrop;

  @Option(
      names = "--junit-xml",
      paramLabel = "FILE",
      description = "Write the gate's verdict as a JUnit XML report for CI servers.")
  Path junitXml;

  @Mixin ReportOptions reports;

  @Mixin VerboseOption verbose;

  @Override
  public Integer call() throws Exception {
    if (!data.present()) {
      throw new IllegalArgumentException("give the evaluation data with --data DATA");
    }
    if (maxDrop != null) {
      Gate.checkLimit(maxDrop);
    }
    Evaluation.Builder b =
        Evaluation.builder()
            .setOriginal(model)
            .setCompressed(compressed)
            .setData(text.source(data))
            .optProgress(ProgressBars.auto());
    data.shape().ifPresent(b::optInputShape);
    text.pooling().ifPresent(b::optPooling);
    if (latency.batchSizes().isEmpty()) {
      b.optSkipLatency();
    } else {
      b.optBatchSizes(latency.batchSizes());
    }
    if (maxDrop != null) {
      b.optMaxAccuracyDrop(maxDrop);
    }
    EvalReport report = b.build().run();
    PrintWriter out = spec.commandLine().getOut();
    out.print(ReportWriters.text().render(report));
    for (Path file : reports.files()) {
      ReportWriters.write(report, file);
      out.println("report " + file);
    }
    if (maxDrop == null) {
      out.flush();
      return ExitCodes.OK;
    }
    GateVerdict verdict = report.gate().orElseThrow();
    if (junitXml != null) {
      JUnitXmlReport.write(junitXml, "lowrank.eval", verdict, report.keyFigures());
      out.println("junit " + junitXml);
    }
    out.flush();
    if (!verdict.passed()) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("lowrank eval: gate failed: " + verdict.summary().replace('\n', ' '));
      err.flush();
      return ExitCodes.CHECK_FAILED;
    }
    out.flush();
    return ExitCodes.OK;
  }
}
