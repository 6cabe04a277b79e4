package dev.lowrank.cli;

import dev.lowrank.cli.internal.Outputs;
import dev.lowrank.cli.internal.Reports;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.Overwrite;
import dev.lowrank.eval.progress.ProgressBars;
import dev.lowrank.eval.report.ReportWriters;
import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.sweep.SmallestModelSearch;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
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
      "Replaces each chosen linear layer's W (n x m) by B (n x r) and A (r x m) from its truncated"
          + " SVD (with --conv, convolutions too) and writes the model (TorchScript file, DJL model"
          + " directory or ONNX file) with a manifest of what was done. With --finetune DATA the"
          + " factors are then trained on DATA (DJL and TorchScript models only). The input is"
          + " never modified, and no output may be an input: the model, the report and the data"
          + " are checked before any work."
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

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  SettingChoice setting;

  @Mixin CompressionOptions compression;

  @Mixin ConvOptions conv;

  @Option(
      names = "--report",
      paramLabel = "R.json",
      description = "Also write the per-layer report as JSON.")
  Path report;

  @Option(
      names = "--force",
      description =
          "Replace an existing --out file even if lowrank did not write it (without --force, only"
              + " a previous lowrank output is replaced; directories lowrank did not write,"
              + " devices and FIFOs are never replaced).")
  boolean force;

  @Mixin EvalDataOptions data;

  @Mixin CalibrationOptions calibration;

  @Mixin FinetuneOptions finetune;

  @Mixin TextOptions text;

  @Mixin PoolingOptions pooling;

  private Overwrite overwrite() {
    return force ? Overwrite.ANY_REGULAR_FILE : Overwrite.LOWRANK_OUTPUTS;
  }

  @Override
  public Integer call() throws Exception {
    SettingChoice chosen = setting == null ? new SettingChoice() : setting;
    OptionalDouble maxDrop = chosen.maxAccuracyDrop();
    boolean search = maxDrop.isPresent() || calibration.minFidelity().isPresent();
    if (search) {
      finetune.refuseWith(maxDrop.isPresent() ? "--max-accuracy-drop" : "--min-fidelity");
    }
    if (!search && data.present()) {
      throw new IllegalArgumentException(
          "--data is only used with --max-accuracy-drop or --min-fidelity");
    }
    if (!search && pooling.present()) {
      throw new IllegalArgumentException(
          "--pooling is only used with --max-accuracy-drop or --min-fidelity (it pools the outputs"
              + " compared on --data)");
    }
    text.check(data.arg(), calibration.arg(), finetune.arg());
    pooling.check();
    if (calibration.minFidelity().isPresent() && chosen.hasPolicy()) {
      throw new IllegalArgumentException(
          "give either --min-fidelity (the search picks the setting) or one of --rank, --ratio,"
              + " --energy");
    }
    Optional<CompressionSpec> fixed =
        search
            ? Optional.empty()
            : Optional.of(
                withModel(
                    () ->
                        finetune.addTo(
                            calibration.apply(
                                conv.apply(compression.spec(chosen.policy())), data.shape(), text),
                            data.shape(),
                            text)));
    Outputs.Builder files = Outputs.builder().optInput("--model", model);
    data.file().ifPresent(f -> files.optInput("--data", f));
    calibration.file().ifPresent(f -> files.optInput("--calibration", f));
    finetune.file().ifPresent(f -> files.optInput("--finetune", f));
    text.addInput(files);
    files.optOutput("--out", out, Outputs.Kind.MODEL);
    if (report != null) {
      files.optOutput("--report", report, Outputs.Kind.FILE);
    }
    try (Outputs outputs = files.build()) {
      int code = fixed.isPresent() ? compress(fixed.get(), outputs) : search(maxDrop, outputs);
      outputs.commit();
      return code;
    }
  }

  private int compress(CompressionSpec compressionSpec, Outputs outputs) throws Exception {
    CompressionResult result =
        withModel(() -> Compressor.compress(model, out, compressionSpec, overwrite()));
    outputs.written(out);
    if (report != null) {
      outputs.writeText(report, result.toJson());
    }
    PrintWriter w = spec.commandLine().getOut();
    w.print(Reports.layerTable(result));
    w.println(Reports.totals(result));
    FinetuneOptions.print(result, w);
    w.println("wrote " + out);
    if (report != null) {
      w.println("report " + report);
    }
    w.flush();
    return ExitCodes.OK;
  }

  private int search(OptionalDouble maxDrop, Outputs outputs) throws Exception {
    SmallestModelSearch.Builder b =
        SmallestModelSearch.builder()
            .setModel(model)
            .setData(data.source(text))
            .optSpecs(p -> calibration.apply(conv.apply(compression.spec(p)), data.shape(), text))
            .optOutput(out)
            .optOverwrite(overwrite())
            .optProgress(ProgressBars.auto());
    maxDrop.ifPresent(b::setMaxAccuracyDrop);
    calibration.configure(
        b, maxDrop.isPresent() ? Optional.of(maxDrop.getAsDouble()) : Optional.empty());
    data.shape().ifPresent(b::optInputShape);
    pooling.pooling().ifPresent(b::optPooling);
    SearchResult result = withModel(() -> b.build().run());
    PrintWriter w = spec.commandLine().getOut();
    if (result.chosen().isEmpty()) {
      w.print(ReportWriters.text().render(result));
      w.flush();
      PrintWriter err = spec.commandLine().getErr();
      err.println("lowrank compress: " + model + ": " + result.summary());
      err.flush();
      return ExitCodes.CHECK_FAILED;
    }
    outputs.written(out);
    CompressionResult chosen = result.chosen().get().compression();
    if (report != null) {
      outputs.writeText(report, chosen.toJson());
    }
    w.print(ReportWriters.text().render(result));
    w.print(Reports.layerTable(chosen));
    w.println(Reports.totals(chosen));
    w.println("chosen " + result.summary());
    w.println("wrote " + out);
    if (report != null) {
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
