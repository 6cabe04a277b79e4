package dev.lowrank.eval.report.internal;

import java.util.Locale;
import java.util.OptionalDouble;

/** Number formats of every human-readable report (the cells of {@link ReportTables}). */
final class Fmt {

  private Fmt() {}

  /** A fraction as a percentage, e.g. {@code 96.94%}. */
  static String pct(double fraction) {
    return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
  }

  /** An optional fraction as a percentage, or a dash. */
  static String pct(OptionalDouble fraction) {
    return fraction.isPresent() ? pct(fraction.getAsDouble()) : "–";
  }

  /** A share with one decimal, e.g. {@code 33.8%}. */
  static String share(double fraction) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * fraction);
  }

  /** An accuracy drop in percentage points, e.g. {@code 1.11 pp} or {@code -0.28 pp}. */
  static String pp(double drop) {
    return String.format(Locale.ROOT, "%.2f pp", 100 * drop);
  }

  /** An optional drop in percentage points, or a dash. */
  static String pp(OptionalDouble drop) {
    return drop.isPresent() ? pp(drop.getAsDouble()) : "–";
  }

  /** An integer with thousands separators. */
  static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** A byte count in binary units, e.g. {@code 27.9 KiB}. */
  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** Milliseconds with three significant-ish decimals. */
  static String ms(double ms) {
    if (ms >= 100) {
      return String.format(Locale.ROOT, "%.1f ms", ms);
    }
    if (ms >= 1) {
      return String.format(Locale.ROOT, "%.2f ms", ms);
    }
    return String.format(Locale.ROOT, "%.3f ms", ms);
  }

  /** A throughput in samples per second. */
  static String rate(double perSecond) {
    return String.format(Locale.ROOT, "%,.0f/s", perSecond);
  }

  /** A speedup, e.g. {@code 1.19x}. */
  static String speedup(double s) {
    return String.format(Locale.ROOT, "%.2fx", s);
  }

  /** A plain number with four decimals. */
  static String dec(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }
}
