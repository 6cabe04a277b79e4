package dev.lowrank.cli;

import picocli.CommandLine;

/** The {@code lowrank} command line: runs a subcommand and exits with its code (0, 1 or 2). */
public final class Main {

  private Main() {}

  /**
   * Runs the command line.
   *
   * @param args the arguments
   */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Runs the command line and returns the exit code instead of exiting.
   *
   * @param args the arguments
   * @return 0 on success, 1 when a check failed, 2 for bad input or usage
   */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /**
   * Builds the configured picocli command line (used by tests to parse without running).
   *
   * @return the command line
   */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new LowrankCommand());
    cli.setExecutionExceptionHandler(new ErrorHandler());
    cli.setParameterExceptionHandler(new ErrorHandler());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    return cli;
  }
}
