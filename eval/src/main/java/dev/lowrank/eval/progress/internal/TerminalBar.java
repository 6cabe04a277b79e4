package dev.lowrank.eval.progress.internal;

import dev.lowrank.eval.progress.Progress;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line bar redrawn in place with carriage returns, at most ten times a second, and erased
 * when its step closes: {@code accuracy original [#########.........] 48% 12/25}.
 */
public final class TerminalBar implements Progress {

  private static final int WIDTH = 30;
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintStream out;
  private final LongSupplier clock;

  /**
   * Creates a bar.
   *
   * @param out where to draw
   * @param clock nanosecond clock (tests pass a fake one)
   */
  public TerminalBar(PrintStream out, LongSupplier clock) {
    this.out = out;
    this.clock = clock;
  }

  @Override
  public Step start(String label, long total) {
    return new BarStep(label, Math.max(1, total));
  }

  private final class BarStep implements Step {
    private final String label;
    private final long total;
    private long done;
    private long lastDraw = Long.MIN_VALUE;
    private int drawnLength;

    BarStep(String label, long total) {
      this.label = label;
      this.total = total;
      draw();
    }

    @Override
    public synchronized void advance(long units) {
      done = Math.min(total, done + Math.max(0, units));
      long now = clock.getAsLong();
      if (done == total || now - lastDraw >= REDRAW_NANOS) {
        draw();
      }
    }

    private void draw() {
      lastDraw = clock.getAsLong();
      int filled = (int) (WIDTH * done / total);
      String line =
          String.format(
              Locale.ROOT,
              "%s [%s%s] %3d%%  %d/%d",
              label,
              "#".repeat(filled),
              ".".repeat(WIDTH - filled),
              100 * done / total,
              done,
              total);
      out.print("\r" + line + " ".repeat(Math.max(0, drawnLength - line.length())));
      out.flush();
      drawnLength = line.length();
    }

    @Override
    public synchronized void close() {
      out.print("\r" + " ".repeat(drawnLength) + "\r");
      out.flush();
    }
  }
}
