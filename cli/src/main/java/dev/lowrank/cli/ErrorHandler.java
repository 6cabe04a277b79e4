package dev.lowrank.cli;

import dev.lowrank.cli.internal.FileErrors;
import dev.lowrank.cli.internal.NativeLibraries;
import dev.lowrank.io.InputFileException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IExecutionStrategy;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Maps every failure to one line on stderr and an exit code, in one place: bad files, bad options,
 * I/O problems and native libraries that cannot be loaded exit 2; anything else is a bug and exits
 * 3 with the hint to run again with {@code --verbose}, which adds the stack trace. The line never
 * echoes unbounded input: a quoted value is cut to {@value #MAX_QUOTED} characters and the line to
 * {@value #MAX_LINE}.
 *
 * <p>Also the execution strategy, so that an {@link Error} thrown by a command ({@code
 * AssertionError}, {@code UnsatisfiedLinkError}), which picocli lets through, is handled the same
 * way instead of ending the JVM with a stack trace and exit code 1.
 */
final class ErrorHandler
    implements IExecutionExceptionHandler, IParameterExceptionHandler, IExecutionStrategy {

  /** The most characters of one quoted value an error line shows. */
  static final int MAX_QUOTED = 100;

  /** The most characters of one error line, after the command's name. */
  static final int MAX_LINE = 2000;

  private static final String ELLIPSIS = "...";

  private final IExecutionStrategy delegate = new CommandLine.RunLast();

  @Override
  public int execute(ParseResult parseResult) {
    try {
      return delegate.execute(parseResult);
    } catch (Error e) {
      ParseResult last = parseResult;
      while (last.hasSubcommand()) {
        last = last.subcommand();
      }
      return handle(e, last.commandSpec().commandLine(), parseResult);
    }
  }

  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println(
        prefix(cmd)
            + bounded(ex.getMessage())
            + " (see '"
            + cmd.getCommandSpec().qualifiedName()
            + " --help')");
    err.flush();
    return ExitCodes.BAD_INPUT;
  }

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
    return handle(ex, cmd, parseResult);
  }

  private static int handle(Throwable failure, CommandLine cmd, ParseResult parseResult) {
    PrintWriter err = cmd.getErr();
    Throwable t = unwrap(failure);
    boolean verbose = verbose(parseResult);
    Optional<String> nativeLibrary = NativeLibraries.explain(t);
    int code;
    String message;
    if (nativeLibrary.isPresent()) {
      code = ExitCodes.BAD_INPUT;
      message = nativeLibrary.get();
    } else if (badInput(t)) {
      code = ExitCodes.BAD_INPUT;
      message = describe(t);
    } else {
      code = ExitCodes.INTERNAL_ERROR;
      message =
          "internal error: "
              + t
              + (verbose
                  ? " (please report it with the stack trace below)"
                  : " (run again with --verbose for the stack trace, and please report it)");
    }
    err.println(prefix(cmd) + bounded(message));
    if (verbose) {
      t.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  /** Whether a failure is the input's or the user's fault rather than a bug. */
  private static boolean badInput(Throwable t) {
    return t instanceof InputFileException
        || t instanceof IllegalArgumentException
        || t instanceof IOException;
  }

  private static String describe(Throwable t) {
    if (t instanceof IOException io) {
      return FileErrors.describe(io);
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  /** Takes off wrappers that only carry their cause across threads or reflection. */
  private static Throwable unwrap(Throwable t) {
    Throwable inner = t;
    while (inner.getCause() != null
        && inner.getCause() != inner
        && (inner instanceof UncheckedIOException
            || inner instanceof ExecutionException
            || inner instanceof CompletionException
            || inner instanceof InvocationTargetException)) {
      inner = inner.getCause();
    }
    return inner;
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

  /**
   * Returns a message as one bounded line: line breaks become spaces, a quoted value longer than
   * {@value #MAX_QUOTED} characters keeps its start and an ellipsis, and the line is cut at {@value
   * #MAX_LINE} characters.
   *
   * @param message any message, possibly quoting input of any size
   * @return the line
   */
  static String bounded(String message) {
    if (message == null) {
      return "";
    }
    String line = shortenQuotes(oneLine(message));
    return line.length() <= MAX_LINE
        ? line
        : line.substring(0, MAX_LINE - ELLIPSIS.length()) + ELLIPSIS;
  }

  /** Joins lines with single spaces, in one pass (no regular expression to backtrack). */
  private static String oneLine(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (!Character.isWhitespace(c)) {
        sb.append(c);
        i++;
        continue;
      }
      int end = i;
      boolean lineBreak = false;
      while (end < s.length() && Character.isWhitespace(s.charAt(end))) {
        char w = s.charAt(end);
        lineBreak |= w == '\n' || w == '\r' || w == '\u000B' || w == '\f' || w == '\u2028';
        end++;
      }
      if (lineBreak) {
        sb.append(' ');
      } else {
        sb.append(s, i, end);
      }
      i = end;
    }
    return sb.toString().trim();
  }

  /** Cuts each quoted value ('...' or "...", the quote not inside a word) to its first part. */
  private static String shortenQuotes(String s) {
    StringBuilder sb = new StringBuilder(Math.min(s.length(), 2 * MAX_LINE));
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if ((c != '\'' && c != '"') || (i > 0 && Character.isLetterOrDigit(s.charAt(i - 1)))) {
        sb.append(c);
        i++;
        continue;
      }
      int close = s.indexOf(c, i + 1);
      int stop = close < 0 ? s.length() : close;
      sb.append(c);
      if (stop - (i + 1) > MAX_QUOTED) {
        sb.append(s, i + 1, i + 1 + MAX_QUOTED).append(ELLIPSIS);
      } else {
        sb.append(s, i + 1, stop);
      }
      if (close >= 0) {
        sb.append(c);
        i = close + 1;
      } else {
        i = stop;
      }
      if (sb.length() > MAX_LINE) {
        break;
      }
    }
    return sb.toString();
  }
}
