package dev.lowrank.eval.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.eval.progress.internal.TerminalBar;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProgressBarsTest {

  @Test
  void showsOnlyOnAConsoleOutsideCi() {
    assertTrue(ProgressBars.shouldShow(true, Map.of("TERM", "xterm-256color")));
    assertTrue(ProgressBars.shouldShow(true, Map.of()));
    assertFalse(ProgressBars.shouldShow(false, Map.of()), "no console: output is redirected");
    assertFalse(ProgressBars.shouldShow(true, Map.of("CI", "true")));
    assertFalse(ProgressBars.shouldShow(true, Map.of("CI", "1")));
    assertTrue(ProgressBars.shouldShow(true, Map.of("CI", "")), "an empty CI is unset");
    assertTrue(ProgressBars.shouldShow(true, Map.of("CI", "false")));
    assertFalse(ProgressBars.shouldShow(true, Map.of("TERM", "dumb")));
    assertFalse(ProgressBars.shouldShow(true, Map.of("LOWRANK_NO_PROGRESS", "1")));
  }

  @Test
  void noneWritesNothing() {
    try (Progress.Step s = Progress.none().start("x", 10)) {
      s.advance(5);
    }
  }

  @Test
  void barRedrawsInPlaceAtMostTenTimesASecondAndClearsItsLine() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    long[] now = {0};
    TerminalBar bar =
        new TerminalBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), () -> now[0]);
    try (Progress.Step s = bar.start("accuracy", 4)) {
      s.advance(1); // same instant as the first draw: not redrawn
      now[0] += 200_000_000L;
      s.advance(1);
      s.advance(2); // done: always drawn
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertFalse(out.contains("\n"), "a bar never scrolls");
    assertTrue(out.contains("accuracy [..............................]   0%  0/4"), out);
    assertTrue(out.contains("accuracy [###############...............]  50%  2/4"), out);
    assertTrue(out.contains("100%  4/4"), out);
    assertFalse(out.contains("1/4"), "throttled: " + out);
    assertTrue(out.endsWith("\r"), "the line is cleared at the end");
    assertEquals(4, out.chars().filter(c -> c == '\r').count() - 1);
  }
}
