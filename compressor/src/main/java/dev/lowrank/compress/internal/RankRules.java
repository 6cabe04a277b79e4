package dev.lowrank.compress.internal;

import java.util.Locale;

/** The arithmetic of when a factorization pays off, shared by planning and reporting. */
final class RankRules {

  private RankRules() {}

  /** Returns whether rank {@code r} stores fewer weights than the dense {@code n x m}. */
  static boolean pays(long r, long n, long m) {
    return r * (n + m) < n * m;
  }

  /** Returns the largest rank whose factors keep at most {@code ratio} of {@code n m} weights. */
  static int rankForRatio(double ratio, long n, long m) {
    long r = (long) Math.floor(ratio * n * m / (n + m));
    return (int) Math.min(r, Math.min(n, m));
  }

  /**
   * Returns the sentence saying why rank {@code r} does not pay off.
   *
   * @param why the setting that chose the rank, e.g. {@code "rank 16"} or {@code "energy 0.9"}
   */
  static String doesNotPay(String why, long r, long n, long m) {
    String chosen = why.equals("rank " + r) ? why : why + " gives rank " + r + ", which";
    return String.format(
        Locale.ROOT,
        "%s would need %d x (%d + %d) = %d weights, not fewer than the dense %d x %d = %d",
        chosen,
        r,
        n,
        m,
        r * (n + m),
        n,
        m,
        n * m);
  }
}
