package dev.lowrank.compress;

/** What an existing file or directory at a compression's output path may be replaced as. */
public enum Overwrite {
  /**
   * Only a previous lowrank output (it carries a manifest) or an empty directory is replaced;
   * anything else is refused. The default.
   */
  LOWRANK_OUTPUTS,
  /**
   * Any regular file is replaced too (the CLI's {@code --force}); directories that lowrank did not
   * write, devices, FIFOs and sockets are still refused.
   */
  ANY_REGULAR_FILE
}
