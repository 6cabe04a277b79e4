package dev.lowrank.cli.internal;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * The reason of a file-system failure in words: {@link FileSystemException}s often carry only the
 * file name (a {@code FileAlreadyExistsException}'s message is just {@code m.pt}).
 */
public final class FileErrors {

  private FileErrors() {}

  /**
   * Returns why an I/O operation failed.
   *
   * @param e the failure
   * @return e.g. {@code permission denied} or {@code No space left on device}
   */
  public static String reason(IOException e) {
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof NotDirectoryException) {
      return "not a directory";
    }
    if (e instanceof FileAlreadyExistsException) {
      return "a file is in the way";
    }
    if (e instanceof DirectoryNotEmptyException) {
      return "directory not empty";
    }
    if (e instanceof FileSystemException) {
      return e.getClass().getSimpleName();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /**
   * Returns a one-line description of a failure that names its file.
   *
   * @param e the failure
   * @return e.g. {@code out/r.json: permission denied}
   */
  public static String describe(IOException e) {
    if (e instanceof FileSystemException f && f.getFile() != null) {
      String other = f.getOtherFile() == null ? "" : " -> " + f.getOtherFile();
      return f.getFile() + other + ": " + reason(e);
    }
    return reason(e);
  }
}
