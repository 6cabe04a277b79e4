package dev.lowrank.cli;

import dev.lowrank.compress.Compressor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The top-level {@code lowrank} command: lists the subcommands, and owns {@code --verbose}. */
@Command(
    name = "lowrank",
    mixinStandardHelpOptions = true,
    versionProvider = LowrankCommand.Version.class,
    description = {
      "Makes trained neural networks smaller and faster by low-rank factorization:",
      "each chosen linear layer y = Wx + b becomes y = B(Ax) + b with BA the best rank-r",
      "approximation of W (truncated SVD).",
      "",
      "Exit codes: 0 success, 1 a check failed (the CI gate), 2 bad input or usage, 3 an internal"
          + " error (a bug: run again with --verbose and report it)."
    },
    subcommands = {
      DemoCommand.class,
      InspectCommand.class,
      CompressCommand.class,
      EvalCommand.class,
      SweepCommand.class,
      ZooCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
final class LowrankCommand implements Runnable {

  @Spec CommandSpec spec;

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "Print the stack trace of a failure (for bug reports).")
  boolean verbose;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Prints the tool version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"lowrank " + Compressor.version()};
    }
  }
}
