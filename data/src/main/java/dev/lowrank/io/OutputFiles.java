package dev.lowrank.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Writes output files and directories so that they appear whole or not at all, and never in place
 * of something that must not be lost.
 *
 * <p>Everything goes to a hidden sibling first ({@code .<name>.lowrank-tmp-<id>}, shortened so that
 * it fits the file system's name limit whenever the final name does) and is moved into place at the
 * end; on failure, and when the process is interrupted ({@link TemporaryFiles}), the sibling is
 * deleted. Files are written with mode 0644 (directories 0755), whatever the temporary-file
 * defaults. Failures are {@link IOException}s whose one-line message names the path the caller gave
 * and the reason (a missing folder, no permission, a full disk, a name too long), never only the
 * temporary name.
 */
public final class OutputFiles {

  /** The longest file name (in bytes) common Linux file systems accept. */
  static final int NAME_LIMIT = 255;

  private OutputFiles() {}

  /** Fills a temporary file or directory. */
  @FunctionalInterface
  public interface Filler {
    /**
     * Writes the content.
     *
     * @param target the temporary path to fill (a directory already exists, a file does not)
     * @throws IOException if writing fails
     * @throws InputFileException if an input turns out to be unusable while writing
     */
    void fill(Path target) throws IOException, InputFileException;
  }

  /** Whether an output is a single file or a directory. */
  public enum Kind {
    /** A regular file. */
    FILE,
    /** A directory (DJL model directories). */
    DIRECTORY
  }

  /**
   * Checks, before any work, that {@code output} can be written without losing anything.
   *
   * <ul>
   *   <li>it is not {@code input}, nor inside it (as files: symlinks, hard links and {@code ../}
   *       resolved);
   *   <li>if something exists there, it is of the right kind: a regular file for a file output
   *       (never a FIFO, a device or a socket), a directory for a directory output;
   *   <li>an existing file or non-empty directory is replaced only when {@code ownOutput} says it
   *       is a lowrank output, or (files only) when {@code replaceForeignFile} is set;
   *   <li>its parent folder exists or can be created.
   * </ul>
   *
   * @param input the file or directory being read, or {@code null} when there is none
   * @param output the path to write
   * @param kind whether the output is a file or a directory
   * @param replaceForeignFile whether an existing regular file that is not a lowrank output may be
   *     replaced (the CLI's {@code --force})
   * @param ownOutput recognizes an existing lowrank output at that path
   * @throws IllegalArgumentException if the output would overwrite the input or foreign data, or is
   *     of the wrong kind; the message starts with {@code output}
   */
  public static void checkTarget(
      Path input, Path output, Kind kind, boolean replaceForeignFile, Predicate<Path> ownOutput) {
    if (input != null && (sameFile(input, output))) {
      throw new IllegalArgumentException(
          output + ": the output is the input model; choose another --out path");
    }
    if (input != null && Files.isDirectory(input) && inside(output, input)) {
      throw new IllegalArgumentException(
          output + ": the output lies inside the input model directory; choose another --out path");
    }
    if (Files.exists(output, LinkOption.NOFOLLOW_LINKS) || Files.exists(output)) {
      boolean directory = Files.isDirectory(output);
      if (kind == Kind.FILE) {
        if (directory) {
          throw new IllegalArgumentException(
              output + ": is a directory; give a file name for --out");
        }
        if (!Files.isRegularFile(output)) {
          throw new IllegalArgumentException(
              output
                  + ": exists and is not a regular file (a device, a FIFO or a socket); lowrank"
                  + " only replaces regular files, choose another path");
        }
        if (!replaceForeignFile && !ownOutput.test(output)) {
          throw new IllegalArgumentException(
              output
                  + ": exists and is not a lowrank output; remove it, choose another path, or"
                  + " replace it with --force");
        }
      } else {
        if (!directory) {
          throw new IllegalArgumentException(
              output + ": exists and is not a directory; a DJL model is written as a directory");
        }
        if (!isEmptyDirectory(output) && !ownOutput.test(output)) {
          throw new IllegalArgumentException(
              output
                  + ": exists and is not a lowrank output; remove it or choose another --out path");
        }
      }
    }
    Path parent = output.toAbsolutePath().normalize().getParent();
    if (parent == null) {
      throw new IllegalArgumentException(output + ": cannot write to the file system root");
    }
    for (Path p = parent; p != null; p = p.getParent()) {
      if (Files.exists(p)) {
        if (!Files.isDirectory(p)) {
          throw new IllegalArgumentException(
              output + ": cannot be written because " + p + " is a file, not a folder");
        }
        break;
      }
    }
  }

  /**
   * Writes a file atomically.
   *
   * @param output the final path
   * @param filler writes the temporary file
   * @throws IOException if writing or moving fails; the message names {@code output}
   * @throws InputFileException if the filler reports a bad input
   */
  public static void writeFile(Path output, Filler filler) throws IOException, InputFileException {
    Path tmp = sibling(output, "tmp");
    TemporaryFiles.track(tmp);
    try {
      filler.fill(tmp);
      if (!Files.isRegularFile(tmp)) {
        throw new IOException(output + ": nothing was written");
      }
      setMode(tmp, "rw-r--r--");
      move(tmp, output);
    } catch (IOException e) {
      throw explain(output, e);
    } finally {
      deleteQuietly(tmp);
      TemporaryFiles.release(tmp);
    }
  }

  /**
   * Writes a UTF-8 text file atomically.
   *
   * @param output the final path
   * @param text the content
   * @throws IOException if writing fails; the message names {@code output}
   */
  public static void writeString(Path output, String text) throws IOException {
    try {
      writeFile(output, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
    } catch (InputFileException e) {
      throw new IllegalStateException("writing a string reads no input", e);
    }
  }

  /**
   * Writes a directory atomically; an existing output directory is replaced.
   *
   * @param output the final directory
   * @param filler fills the (existing, empty) temporary directory
   * @throws IOException if writing or moving fails; the message names {@code output}
   * @throws InputFileException if the filler reports a bad input
   */
  public static void writeDirectory(Path output, Filler filler)
      throws IOException, InputFileException {
    Path tmp = sibling(output, "tmp");
    Path old = sibling(output, "old");
    TemporaryFiles.track(tmp);
    TemporaryFiles.track(old);
    try {
      Files.createDirectory(tmp);
      setMode(tmp, "rwxr-xr-x");
      filler.fill(tmp);
      if (Files.exists(output)) {
        Files.move(output, old);
      }
      move(tmp, output);
    } catch (IOException e) {
      throw explain(output, e);
    } finally {
      deleteQuietly(tmp);
      deleteQuietly(old);
      TemporaryFiles.release(tmp);
      TemporaryFiles.release(old);
    }
  }

  /**
   * Deletes a file or directory tree if it exists (a symbolic link is deleted, not followed).
   *
   * @param path the path
   * @throws IOException if deletion fails
   */
  public static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
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

  /**
   * Returns whether two paths name the same file: equal once made absolute and normalized, or the
   * same file on disk (symlinks and hard links followed) when both exist, or the same real parent
   * folder and name when only one exists.
   *
   * @param a a path
   * @param b another path
   * @return {@code true} if writing one would change the other
   */
  public static boolean sameFile(Path a, Path b) {
    Path x = canonical(a);
    Path y = canonical(b);
    if (x.equals(y)) {
      return true;
    }
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Returns whether {@code path} lies inside the directory {@code dir} (real paths compared).
   *
   * @param path a path
   * @param dir a directory
   * @return {@code true} if {@code path} is below {@code dir}
   */
  public static boolean inside(Path path, Path dir) {
    Path p = canonical(path);
    Path d = canonical(dir);
    return p.startsWith(d) && !p.equals(d);
  }

  /**
   * Returns a path with symbolic links resolved as far as the path exists: the real path of its
   * longest existing ancestor, followed by the rest of the names.
   *
   * @param path any path
   * @return the canonical form
   */
  public static Path canonical(Path path) {
    Path abs = path.toAbsolutePath().normalize();
    Path existing = abs;
    Path rest = null;
    while (existing != null) {
      try {
        Path real = existing.toRealPath();
        return rest == null ? real : real.resolve(rest).normalize();
      } catch (IOException e) {
        Path name = existing.getFileName();
        if (name == null) {
          return abs;
        }
        rest = rest == null ? name : name.resolve(rest);
        existing = existing.getParent();
      }
    }
    return abs;
  }

  /** Rewrites a file-system error so that it names the user's path and says why. */
  static IOException explain(Path output, IOException e) {
    if (e.getMessage() != null && e.getMessage().startsWith(output + ": ")) {
      return e;
    }
    String reason;
    Path parent = output.toAbsolutePath().normalize().getParent();
    if (e instanceof NoSuchFileException) {
      reason =
          parent != null && !Files.isDirectory(parent)
              ? "its folder " + parent + " does not exist"
              : "a folder on the way does not exist";
    } else if (e instanceof AccessDeniedException) {
      reason =
          "permission denied (the folder "
              + parent
              + " must be writable by "
              + System.getProperty("user.name")
              + ")";
    } else if (e instanceof NotDirectoryException) {
      reason = "a part of the path is a file, not a folder";
    } else if (e instanceof FileAlreadyExistsException) {
      reason = "something was created at that path while lowrank wrote it";
    } else if (e instanceof FileSystemException fse) {
      String why = fse.getReason() == null ? "" : fse.getReason();
      String lower = why.toLowerCase(Locale.ROOT);
      if (lower.contains("no space")) {
        reason = "no space left on the device";
      } else if (lower.contains("name too long")) {
        reason = "the file name is too long for the file system";
      } else if (lower.contains("read-only")) {
        reason = "the file system is read-only";
      } else if (lower.contains("permission") || lower.contains("not permitted")) {
        reason = "permission denied";
      } else {
        reason = why.isEmpty() ? fse.getClass().getSimpleName() : why;
      }
    } else {
      String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      String lower = msg.toLowerCase(Locale.ROOT);
      reason =
          lower.contains("no space left")
              ? "no space left on the device"
              : InputFileException.quote(msg.replaceAll("\\s+", " "));
    }
    return new IOException(output + ": cannot be written (" + reason + ")", e);
  }

  /**
   * The hidden sibling of {@code output}; its name keeps as much of the output's name as the name
   * limit allows, so that a legal output name never fails because of the temporary one.
   */
  static Path sibling(Path output, String kind) throws IOException {
    Path abs = output.toAbsolutePath().normalize();
    Path parent = abs.getParent();
    if (parent == null || abs.getFileName() == null) {
      throw new IOException(output + ": cannot write to the file system root");
    }
    try {
      Files.createDirectories(parent);
    } catch (IOException e) {
      throw explain(output, e);
    }
    String suffix = ".lowrank-" + kind + "-" + UUID.randomUUID().toString().substring(0, 8);
    String name = abs.getFileName().toString();
    int room = NAME_LIMIT - 1 - suffix.length();
    while (name.getBytes(StandardCharsets.UTF_8).length > room) {
      name = name.substring(0, name.length() - 1);
    }
    return parent.resolve("." + name + suffix);
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void setMode(Path path, String mode) throws IOException {
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
    } catch (UnsupportedOperationException notPosix) {
      // Keep the platform's default permissions.
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      deleteRecursively(path);
    } catch (IOException e) {
      // Best effort: TemporaryFiles tries again at exit.
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
