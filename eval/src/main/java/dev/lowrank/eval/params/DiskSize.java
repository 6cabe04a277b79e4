package dev.lowrank.eval.params;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The size of a model on disk: a file's length, or the sum of the files in a directory tree. */
public final class DiskSize {

  private DiskSize() {}

  /**
   * Returns the bytes a model takes.
   *
   * @param path a file or directory
   * @return its size in bytes (for a directory, of every regular file below it)
   * @throws IOException if the path cannot be read
   */
  public static long of(Path path) throws IOException {
    if (!Files.isDirectory(path)) {
      return Files.size(path);
    }
    try (Stream<Path> files = Files.walk(path)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .sum();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
