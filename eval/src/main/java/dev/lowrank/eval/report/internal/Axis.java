package dev.lowrank.eval.report.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A plot axis: maps data values to pixels and chooses ticks. Linear axes use "nice" steps (1, 2 or
 * 5 times a power of ten); log axes put ticks at powers of ten (and 2 and 5 times them when the
 * range spans less than two decades); category axes space their labels evenly.
 */
final class Axis {

  enum Kind {
    LINEAR,
    LOG,
    CATEGORY
  }

  final Kind kind;
  final double min;
  final double max;
  final List<Double> ticks;
  final List<String> categories;

  private Axis(Kind kind, double min, double max, List<Double> ticks, List<String> categories) {
    this.kind = kind;
    this.min = min;
    this.max = max;
    this.ticks = ticks;
    this.categories = categories;
  }

  static Axis linear(double lo, double hi, boolean includeZero) {
    if (includeZero) {
      lo = Math.min(lo, 0);
      hi = Math.max(hi, 0);
    }
    if (!(hi > lo)) {
      double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
      lo -= pad;
      hi += pad;
    }
    double step = niceStep((hi - lo) / 5);
    double start = Math.floor(lo / step) * step;
    double end = Math.ceil(hi / step) * step;
    List<Double> ticks = new ArrayList<>();
    for (double t = start; t <= end + step * 1e-9; t += step) {
      ticks.add(Math.abs(t) < step * 1e-9 ? 0 : t);
    }
    return new Axis(Kind.LINEAR, start, end, ticks, List.of());
  }

  static Axis log(double lo, double hi) {
    lo = lo > 0 ? lo : 1e-12;
    hi = Math.max(hi, lo * 1.0001);
    double a = Math.floor(Math.log10(lo));
    double b = Math.ceil(Math.log10(hi));
    if (b - a < 1) {
      b = a + 1;
    }
    List<Double> ticks = new ArrayList<>();
    boolean dense = b - a < 2;
    for (double e = a; e <= b; e++) {
      double p = Math.pow(10, e);
      ticks.add(p);
      if (dense && e < b) {
        ticks.add(2 * p);
        ticks.add(5 * p);
      }
    }
    return new Axis(Kind.LOG, Math.pow(10, a), Math.pow(10, b), ticks, List.of());
  }

  static Axis categories(List<String> names) {
    List<Double> ticks = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      ticks.add((double) i);
    }
    return new Axis(Kind.CATEGORY, -0.5, names.size() - 0.5, ticks, List.copyOf(names));
  }

  /** Maps a value to [0, 1] along the axis. */
  double fraction(double v) {
    if (kind == Kind.LOG) {
      double lv = Math.log10(Math.max(v, min));
      return (lv - Math.log10(min)) / (Math.log10(max) - Math.log10(min));
    }
    return (v - min) / (max - min);
  }

  String label(int tickIndex) {
    if (kind == Kind.CATEGORY) {
      return categories.get(tickIndex);
    }
    double v = ticks.get(tickIndex);
    double step = ticks.size() > 1 ? Math.abs(ticks.get(1) - ticks.get(0)) : Math.abs(v);
    return format(v, kind == Kind.LOG ? v : step);
  }

  /** Formats a tick value with as many decimals as its step needs, and k/M for large values. */
  static String format(double v, double step) {
    double a = Math.abs(v);
    if (a >= 1e6 && step >= 1e5) {
      return trim(String.format(Locale.ROOT, "%.1f", v / 1e6)) + "M";
    }
    if (a >= 1e4 && step >= 1e3) {
      return trim(String.format(Locale.ROOT, "%.1f", v / 1e3)) + "k";
    }
    if (a != 0 && (a < 1e-3 || a >= 1e7)) {
      return String.format(Locale.ROOT, "%.0e", v);
    }
    int decimals = step >= 1 ? 0 : (int) Math.ceil(-Math.log10(step) - 1e-9);
    return String.format(Locale.ROOT, "%,." + Math.min(decimals, 6) + "f", v);
  }

  private static String trim(String s) {
    return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
  }

  static double niceStep(double raw) {
    if (!(raw > 0)) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(raw)));
    double f = raw / p;
    double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nice * p;
  }
}
