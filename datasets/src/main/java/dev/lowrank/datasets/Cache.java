package dev.lowrank.datasets;

import java.nio.file.Path;

/**
 * Where lowrank keeps what it fetches or derives once: {@code $LOWRANK_CACHE}, else {@code
 * $XDG_CACHE_HOME/lowrank}, else {@code ~/.cache/lowrank} (the rule of the zoo's {@code
 * ExampleTrainer.cacheRoot()}, available here to the data sets and their tests).
 */
public final class Cache {

  private Cache() {}

  /**
   * Returns the cache root.
   *
   * @return the directory where fetched data and derived models are kept
   */
  public static Path root() {
    String explicit = System.getenv("LOWRANK_CACHE");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("lowrank");
  }
}
