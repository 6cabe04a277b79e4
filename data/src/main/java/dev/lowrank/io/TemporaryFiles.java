package dev.lowrank.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Temporary files and directories that must not outlive the work that made them, even when the
 * process is interrupted (SIGINT, SIGTERM): each tracked path is deleted when it is released and,
 * if it is still there, by a shutdown hook.
 *
 * <pre>{@code
 * Path work = TemporaryFiles.createDirectory("lowrank-sweep");
 * try {
 *   ...
 * } finally {
 *   TemporaryFiles.delete(work);
 * }
 * }</pre>
 */
public final class TemporaryFiles {

  private static final Set<Path> TRACKED = new LinkedHashSet<>();
  private static boolean hooked;

  private TemporaryFiles() {}

  /**
   * Creates a tracked directory in the temporary-file folder ({@code java.io.tmpdir}).
   *
   * @param prefix the start of its name
   * @return the new, empty directory
   * @throws IOException if it cannot be created; the message names the temporary-file folder
   */
  public static Path createDirectory(String prefix) throws IOException {
    try {
      Path dir = Files.createTempDirectory(prefix);
      track(dir);
      return dir;
    } catch (IOException e) {
      throw new IOException(
          System.getProperty("java.io.tmpdir")
              + ": cannot create a temporary folder there ("
              + e.getMessage()
              + "); set TMPDIR or -Djava.io.tmpdir to a writable folder",
          e);
    }
  }

  /**
   * Deletes a tracked file or directory tree now and stops tracking it.
   *
   * @param path the path
   * @throws IOException if it cannot be deleted
   */
  public static void delete(Path path) throws IOException {
    try {
      OutputFiles.deleteRecursively(path);
    } finally {
      release(path);
    }
  }

  /**
   * Deletes a path at exit unless it is released before.
   *
   * @param path a file or directory that may not exist yet
   */
  public static synchronized void track(Path path) {
    if (!hooked) {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(TemporaryFiles::deleteAll, "lowrank-temporary-files"));
      hooked = true;
    }
    TRACKED.add(path.toAbsolutePath().normalize());
  }

  /**
   * Stops tracking a path (it was deleted, or moved into place as an output).
   *
   * @param path the path given to {@link #track}
   */
  public static synchronized void release(Path path) {
    TRACKED.remove(path.toAbsolutePath().normalize());
  }

  /**
   * Returns the paths tracked now (for tests).
   *
   * @return a copy, in the order they were tracked
   */
  public static synchronized List<Path> tracked() {
    return new ArrayList<>(TRACKED);
  }

  private static void deleteAll() {
    List<Path> paths;
    synchronized (TemporaryFiles.class) {
      paths = new ArrayList<>(TRACKED);
    }
    for (Path p : paths) {
      try {
        OutputFiles.deleteRecursively(p);
      } catch (IOException | RuntimeException e) {
        // Nothing more can be done while the process exits.
      }
    }
  }
}
