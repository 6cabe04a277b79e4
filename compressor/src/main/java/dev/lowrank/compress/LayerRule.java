package dev.lowrank.compress;

import java.util.regex.Pattern;

/**
 * A per-layer override: layers whose name matches {@code pattern} use {@code policy} instead of the
 * spec's default. The first matching rule wins.
 *
 * <p>Patterns are globs over the whole layer name: {@code *} matches any run of characters (dots
 * included), {@code ?} one character; e.g. {@code fc3}, {@code *.out_proj}, {@code
 * enc.layers.*.linear1}.
 *
 * @param pattern the glob
 * @param policy the policy for matching layers ({@link RankPolicy#dense()} to skip them)
 */
public record LayerRule(String pattern, RankPolicy policy) {

  /** Checks the pattern. */
  public LayerRule {
    if (pattern == null || pattern.isBlank()) {
      throw new IllegalArgumentException("A layer rule needs a non-empty name pattern");
    }
    if (policy == null) {
      throw new IllegalArgumentException("A layer rule needs a policy");
    }
  }

  /**
   * Returns whether the rule applies to a layer.
   *
   * @param layerName the layer's name
   * @return {@code true} if the glob matches the whole name
   */
  public boolean matches(String layerName) {
    return toRegex(pattern).matcher(layerName).matches();
  }

  /**
   * Parses the CLI form {@code PATTERN=POLICY}, e.g. {@code fc3=dense} or {@code *.linear1=rank:8}.
   *
   * @param text the rule text
   * @return the rule
   * @throws IllegalArgumentException if there is no {@code =} or the policy is invalid
   */
  public static LayerRule parse(String text) {
    int eq = text.lastIndexOf('=');
    if (eq <= 0 || eq == text.length() - 1) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a layer rule; use PATTERN=POLICY, e.g. fc3=dense or *.fc1=rank:8");
    }
    return new LayerRule(text.substring(0, eq).trim(), RankPolicy.parse(text.substring(eq + 1)));
  }

  private static Pattern toRegex(String glob) {
    StringBuilder re = new StringBuilder();
    for (char c : glob.toCharArray()) {
      switch (c) {
        case '*':
          re.append(".*");
          break;
        case '?':
          re.append('.');
          break;
        default:
          re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString());
  }
}
