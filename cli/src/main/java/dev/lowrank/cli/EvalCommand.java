package dev.lowrank.cli;

import dev.lowrank.cli.internal.Outputs;
import dev.lowrank.eval.Evaluation;
import dev.lowrank.eval.gate.Gate;
import dev.lowrank.eval.gate.GateVerdict;
import dev.lowrank.eval.gate.JUnitXmlReport;
import dev.lowrank.eval.latency.BatchTooLargeException;
import dev.lowrank.eval.progress.ProgressBars;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.report.ReportWriters;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
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

  @Mixin EvalDataOptions data;

  @Mixin TextOptions text;

  @Mixin PoolingOptions pooling;

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

  @Override
  public Integer call() throws Exception {
    if (!data.present()) {
      throw new IllegalArgumentException("give the evaluation data with --data DATA");
    }
    if (maxDrop != null) {
      double d = maxDrop;
      OptionErrors.named(
          "--max-accuracy-drop",
          () -> {
            Gate.checkLimit(d);
            return d;
          });
    }
    List<Integer> batchSizes = latency.batchSizes();
    reports.checkFormats();
    text.check(data.arg());
    pooling.check();
    Outputs.Builder files =
        Outputs.builder().optInput("--model", model).optInput("--compressed", compressed);
    data.file().ifPresent(f -> files.optInput("--data", f));
    text.addInput(files);
    files.optOutputs(ReportOptions.OPTION, reports.files(), Outputs.Kind.FILE);
    if (junitXml != null) {
      files.optOutput("--junit-xml", junitXml, Outputs.Kind.FILE);
    }
    try (Outputs outputs = files.build()) {
      int code = evaluate(batchSizes, outputs);
      outputs.commit();
      return code;
    }
  }

  private int evaluate(List<Integer> batchSizes, Outputs outputs) throws Exception {
    Evaluation.Builder b =
        Evaluation.builder()
            .setOriginal(model)
            .setCompressed(compressed)
            .setData(data.source(text))
            .optProgress(ProgressBars.auto());
    data.shape().ifPresent(b::optInputShape);
    pooling.pooling().ifPresent(b::optPooling);
    if (batchSizes.isEmpty()) {
      b.optSkipLatency();
    } else {
      b.optBatchSizes(batchSizes);
    }
    if (maxDrop != null) {
      b.optMaxAccuracyDrop(maxDrop);
    }
    EvalReport report;
    try {
      report = b.build().run();
    } catch (BatchTooLargeException e) {
      throw new IllegalArgumentException(LatencyOptions.OPTION + ": " + e.getMessage(), e);
    }
    printWarnings(report);
    for (Path file : reports.files()) {
      outputs.writeText(file, ReportOptions.writer(file).render(report));
    }
    Optional<GateVerdict> gate = report.gate();
    if (gate.isPresent() && junitXml != null) {
      outputs.writeText(
          junitXml, JUnitXmlReport.render("lowrank.eval", gate.get(), report.keyFigures()));
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(ReportWriters.text().render(report));
    for (Path file : reports.files()) {
      out.println("report " + file);
    }
    if (gate.isEmpty()) {
      out.flush();
      return ExitCodes.OK;
    }
    GateVerdict verdict = gate.get();
    if (junitXml != null) {
      out.println("junit " + junitXml);
    }
    out.flush();
    if (!verdict.passed()) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("lowrank eval: gate failed: " + verdict.summary().replace('\n', ' '));
      err.flush();
      return ExitCodes.CHECK_FAILED;
    }
    return ExitCodes.OK;
  }

  /** What the evaluation could not check (e.g. a compressed model without manifest), on stderr. */
  private void printWarnings(EvalReport report) {
    PrintWriter err = spec.commandLine().getErr();
    report.warnings().forEach(w -> err.println("lowrank eval: warning: " + w));
    err.flush();
  }
}
