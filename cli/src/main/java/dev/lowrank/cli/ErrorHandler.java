package dev.lowrank.cli;

import dev.lowrank.io.InputFileException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Maps every failure to one line on stderr and an exit code: bad files, bad options and I/O
 * problems exit 2; stack traces only with {@code --verbose}.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {

  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println(
        prefix(cmd)
            + oneLine(ex.getMessage())
            + " (see '"
            + cmd.getCommandSpec().qualifiedName()
            + " --help')");
    err.flush();
    return ExitCodes.BAD_INPUT;
  }

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
    PrintWriter err = cmd.getErr();
    Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
    String message;
    if (t instanceof InputFileException
        || t instanceof IllegalArgumentException
        || t instanceof IOException) {
      message = oneLine(t.getMessage() == null ? t.toString() : t.getMessage());
    } else {
      message =
          "internal error: "
              + oneLine(t.toString())
              + " (run again with --verbose for the stack trace, and please report it)";
    }
    err.println(prefix(cmd) + message);
    if (verbose(parseResult)) {
      t.printStackTrace(err);
    }
    err.flush();
    return ExitCodes.BAD_INPUT;
  }

  private static boolean verbose(ParseResult result) {
    for (ParseResult r = result; r != null; r = r.subcommand()) {
      if (r.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }

  private static String prefix(CommandLine cmd) {
    return cmd.getCommandSpec().qualifiedName() + ": ";
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
