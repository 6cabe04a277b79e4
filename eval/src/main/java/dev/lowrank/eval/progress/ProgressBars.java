package dev.lowrank.eval.progress;

import dev.lowrank.eval.progress.internal.TerminalBar;
import java.io.PrintStream;
import java.util.Map;

/**
 * Chooses how progress is shown: a bar redrawn in place on stderr when a person is watching a
 * terminal, nothing in logs and CI output.
 */
public final class ProgressBars {

  private ProgressBars() {}

  /**
   * Returns a bar on stderr when {@link #shouldShow(boolean, Map)} says so for this process, else
   * {@link Progress#none()}.
   *
   * @return the progress to use
   */
  public static Progress auto() {
    return shouldShow(System.console() != null, System.getenv())
        ? onStream(System.err)
        : Progress.none();
  }

  /**
   * Decides whether to draw a progress bar: only when the process has a console (stdin and stdout
   * are a terminal, so stderr is not being captured by a log file alone), the {@code CI} variable
   * is unset or empty, {@code TERM} is not {@code dumb}, and {@code LOWRANK_NO_PROGRESS} is unset.
   *
   * @param hasConsole whether {@code System.console()} is not null
   * @param env the environment variables
   * @return {@code true} to draw a bar
   */
  public static boolean shouldShow(boolean hasConsole, Map<String, String> env) {
    if (!hasConsole) {
      return false;
    }
    if (isSet(env.get("CI")) || isSet(env.get("LOWRANK_NO_PROGRESS"))) {
      return false;
    }
    return !"dumb".equals(env.get("TERM"));
  }

  /**
   * Returns a bar drawn on a stream, whatever the stream is connected to.
   *
   * @param out the stream, usually {@code System.err}
   * @return the progress
   */
  public static Progress onStream(PrintStream out) {
    return new TerminalBar(out, System::nanoTime);
  }

  private static boolean isSet(String value) {
    return value != null && !value.isEmpty() && !value.equalsIgnoreCase("false");
  }
}
