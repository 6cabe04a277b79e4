package dev.lowrank.format.internal;

import dev.lowrank.compress.Manifest;
import dev.lowrank.format.ModelFileException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.UUID;

/**
 * Writes an output file or directory so that it appears whole or not at all: everything goes to a
 * hidden sibling first and is moved into place at the end; on failure the sibling is deleted.
 */
public final class AtomicOutput {

  private AtomicOutput() {}

  /** Fills a temporary file or directory. */
  @FunctionalInterface
  public interface Filler {
    /**
     * Writes the content.
     *
     * @param target the temporary path to fill (a directory already exists, a file does not)
     * @throws IOException if writing fails
     * @throws ModelFileException if the input turns out to be unusable
     */
    void fill(Path target) throws IOException, ModelFileException;
  }

  /**
   * Checks that {@code output} can be written without losing anything: it is not {@code input}, not
   * inside it, and if it exists it is a file (for a file output) or a previous lowrank output
   * directory (for a directory output).
   *
   * @param input the model being read
   * @param output the path to write
   * @param directory whether the output is a directory
   * @throws IllegalArgumentException if the output would overwrite the input or foreign data
   */
  public static void checkTarget(Path input, Path output, boolean directory) {
    Path in = input.toAbsolutePath().normalize();
    Path out = output.toAbsolutePath().normalize();
    boolean same = in.equals(out);
    try {
      same = same || (Files.exists(out) && Files.isSameFile(in, out));
    } catch (IOException e) {
      // Unreadable: treated as different; the write itself will report the problem.
    }
    if (same) {
      throw new IllegalArgumentException(
          output + ": the output is the input model; choose another --out path");
    }
    if (out.startsWith(in) && Files.isDirectory(in)) {
      throw new IllegalArgumentException(
          output + ": the output lies inside the input model directory; choose another --out path");
    }
    if (Files.isDirectory(out) && !directory) {
      throw new IllegalArgumentException(output + ": is a directory; give a file name for --out");
    }
    if (Files.exists(out) && directory) {
      if (!Files.isDirectory(out)) {
        throw new IllegalArgumentException(
            output + ": exists and is a file; a DJL model is written as a directory");
      }
      if (!Files.exists(out.resolve(Manifest.FILE_NAME)) && !isEmptyDirectory(out)) {
        throw new IllegalArgumentException(
            output
                + ": exists and is not a lowrank output; remove it or choose another --out path");
      }
    }
  }

  /**
   * Writes a file atomically.
   *
   * @param output the final path
   * @param filler writes the temporary file
   * @throws IOException if writing or moving fails
   * @throws ModelFileException if the filler reports a bad input
   */
  public static void writeFile(Path output, Filler filler) throws IOException, ModelFileException {
    Path tmp = sibling(output, "tmp");
    try {
      filler.fill(tmp);
      move(tmp, output);
    } finally {
      deleteRecursively(tmp);
    }
  }

  /**
   * Writes a directory atomically; an existing lowrank output directory is replaced.
   *
   * @param output the final directory
   * @param filler fills the (existing, empty) temporary directory
   * @throws IOException if writing or moving fails
   * @throws ModelFileException if the filler reports a bad input
   */
  public static void writeDirectory(Path output, Filler filler)
      throws IOException, ModelFileException {
    Path tmp = sibling(output, "tmp");
    Path old = sibling(output, "old");
    try {
      Files.createDirectories(tmp);
      filler.fill(tmp);
      if (Files.exists(output)) {
        Files.move(output, old);
      }
      move(tmp, output);
    } finally {
      deleteRecursively(tmp);
      deleteRecursively(old);
    }
  }

  /**
   * Deletes a file or directory tree if it exists.
   *
   * @param path the path
   * @throws IOException if deletion fails
   */
  public static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        path,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
            Files.delete(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static Path sibling(Path output, String kind) throws IOException {
    Path abs = output.toAbsolutePath().normalize();
    Path parent = abs.getParent();
    if (parent == null) {
      throw new IOException(output + ": cannot write to the file system root");
    }
    Files.createDirectories(parent);
    return parent.resolve(
        "."
            + abs.getFileName()
            + ".lowrank-"
            + kind
            + "-"
            + UUID.randomUUID().toString().substring(0, 8));
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static boolean isEmptyDirectory(Path dir) {
    try (var entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }
}
