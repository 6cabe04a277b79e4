package dev.lowrank.cli;

import java.io.PrintStream;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;

/**
 * The {@code lowrank} command line: runs a subcommand and exits with its code (0 success, 1 a
 * failed check, 2 bad input or usage, 3 an internal error; see {@link ExitCodes}).
 */
public final class Main {

  /**
   * JNA (loaded by DJL) logs a warning with a stack trace through java.util.logging when it cannot
   * clean its temporary directory; before lowrank's own one-line error it is noise. Held here
   * because java.util.logging keeps loggers only weakly.
   */
  private static final Logger JNA = Logger.getLogger("com.sun.jna");

  static {
    JNA.setLevel(Level.SEVERE);
  }

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
   * @return 0 on success, 1 when a check failed, 2 for bad input or usage, 3 for an internal error
   */
  public static int run(String... args) {
    try {
      return commandLine().execute(args);
    } catch (Throwable t) {
      // Only a failure outside any command (picocli's own setup) gets here.
      PrintStream err = System.err;
      err.println(
          "lowrank: internal error: "
              + ErrorHandler.bounded(String.valueOf(t))
              + " (please report it)");
      return ExitCodes.INTERNAL_ERROR;
    }
  }

  /**
   * Builds the configured picocli command line (used by tests to parse without running).
   *
   * @return the command line
   */
  public static CommandLine commandLine() {
    ErrorHandler errors = new ErrorHandler();
    CommandLine cli = new CommandLine(new LowrankCommand());
    cli.setExecutionStrategy(errors);
    cli.setExecutionExceptionHandler(errors);
    cli.setParameterExceptionHandler(errors);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    return cli;
  }
}
