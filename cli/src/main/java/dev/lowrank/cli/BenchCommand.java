package dev.lowrank.cli;

import dev.lowrank.bench.CalibrationReport;
import dev.lowrank.bench.ForwardReport;
import dev.lowrank.bench.ModelTargets;
import dev.lowrank.bench.SvdReport;
import dev.lowrank.bench.SvdReportText;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowrank bench}: the project's speed figures next to PyTorch and NumPy, as ratios. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measures the project's speed next to a PyTorch/NumPy reference run in the same command"
          + " (when /usr/bin/python3 has torch and numpy), and prints ratios against the targets:",
      "  --svd      truncated SVD: exact vs torch.linalg.svd on 2048x2048, randomized vs"
          + " torch.svd_lowrank and vs exact on the BERT-base layer shapes at rank 128 (~1 min)",
      "  --forward  the low-rank layer's forward through DJL (LowRankLinear and a compressed"
          + " TorchScript file) vs NumPy on the lecture's n = 4096, r = 10, and vs the FLOP ratio"
          + " across shapes (~1 min)",
      "  --calibration  calibration + whitened compression of a BERT-base-shaped encoder at rank"
          + " 128 on 4096 tokens vs the same steps in PyTorch and vs plain compression, and each"
          + " layer's data error over its optimum (~10 min; writes a 340 MB model once)",
      "  --models   torchvision ResNet-18 (--conv --ratio 0.5), ViT-B/16 (--rank 64) and an"
          + " nn.TransformerEncoder (--rank 16), made and judged by PyTorch (needs"
          + " python3-torchvision; ~5 min, a slim ViT with --quick)",
      "Without any of them, --svd and --forward run. Timings depend on the machine; compare"
          + " ratios, not seconds."
    })
final class BenchCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--svd", description = "Run the SVD report.")
  boolean svd;

  @Option(names = "--forward", description = "Run the forward report.")
  boolean forward;

  @Option(names = "--calibration", description = "Run the calibration report.")
  boolean calibration;

  @Option(
      names = "--calibration-dir",
      paramLabel = "DIR",
      defaultValue = ".cache/bench-bert",
      description =
          "Where the calibration report keeps its model and data (default: ${DEFAULT-VALUE}).")
  Path calibrationDir;

  @Option(names = "--models", description = "Run the convolution and attention model targets.")
  boolean models;

  @Option(names = "--json", description = "Print JSON instead of tables.")
  boolean json;

  @Option(names = "--quick", description = "Few repetitions: a smoke run, not for figures.")
  boolean quick;

  @Option(
      names = "--python",
      paramLabel = "PATH",
      defaultValue = "/usr/bin/python3",
      description = "The interpreter of the reference (default: ${DEFAULT-VALUE}).")
  Path python;

  @Option(names = "--no-reference", description = "Skip the PyTorch/NumPy reference.")
  boolean noReference;

  @Override
  public Integer call() throws Exception {
    boolean both = !svd && !forward && !calibration && !models;
    Optional<Path> reference = noReference ? Optional.empty() : Optional.of(python);
    PrintWriter out = spec.commandLine().getOut();
    if (svd || both) {
      SvdReport.Options defaults = SvdReport.Options.defaults();
      SvdReport.Options options =
          new SvdReport.Options(
              defaults.rank(),
              quick ? 1 : defaults.runs(),
              quick ? 1 : defaults.exactRuns(),
              defaults.blasThreads(),
              defaults.torchThreads(),
              reference,
              defaults.seed());
      SvdReport.Result result = SvdReport.run(options);
      out.println(json ? SvdReportText.json(result) : SvdReportText.table(result));
      out.flush();
    }
    if (forward || both) {
      ForwardReport.Result result = ForwardReport.run(reference, quick);
      out.println(json ? ForwardReport.json(result) : ForwardReport.table(result));
      out.flush();
    }
    if (calibration) {
      CalibrationReport.Result result = CalibrationReport.run(python, calibrationDir);
      out.println(json ? CalibrationReport.json(result) : CalibrationReport.table(result));
      out.flush();
      if (!json) {
        out.println(
            CalibrationReport.table(
                CalibrationReport.sensitivity(
                    python, calibrationDir.resolveSibling(calibrationDir.getFileName() + "-36"))));
        out.flush();
      }
    }
    if (models) {
      ModelTargets.Result result = ModelTargets.run(python, quick);
      out.println(json ? ModelTargets.json(result) : ModelTargets.table(result));
      out.flush();
    }
    return ExitCodes.OK;
  }
}
