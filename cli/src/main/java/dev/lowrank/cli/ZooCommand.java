package dev.lowrank.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
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
      ZooListCommand.class,
      ZooRunCommand.class,
      ZooServeCommand.class,
      ZooTableCommand.class
    })
final class ZooCommand implements Runnable {

  /** How messages name the zoo's cache of trained models, an input of every zoo command. */
  static final String CACHE = "the zoo cache";

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
