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

  /** Returns the sentence saying why rank {@code r} does not pay off. */
  static String doesNotPay(String why, long r, long n, long m) {
    return String.format(
        Locale.ROOT,
        "%s gives rank %d, and %d x (%d + %d) = %d weights is not fewer than %d x %d = %d",
        why,
        r,
        r,
        n,
        m,
        r * (n + m),
        n,
        m,
        n * m);
  }
}
