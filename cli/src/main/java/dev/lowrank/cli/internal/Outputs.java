package dev.lowrank.cli.internal;

import dev.lowrank.io.OutputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * The files one command run reads and writes: checked against each other before any work, and
 * written so that they appear together or not at all.
 *
 * <p>{@link Builder#build()} refuses, with a message naming both options, an output that is the
 * same file as an input or another output, lies inside an input directory or a model output, or
 * contains an input; it also refuses an output whose target is a directory or whose parent cannot
 * be created or written. Paths are compared as files: the real path of each output's existing
 * ancestor plus the rest of its name (symbolic links and {@code ..} resolved), the real path of
 * each existing input, and {@link Files#isSameFile} where both exist (hard links).
 *
 * <p>Used in try-with-resources: outputs written through {@link #writeText} or registered with
 * {@link #written} are deleted again when the block ends without {@link #commit()}, so a failure in
 * a later output removes the earlier ones.
 */
public final class Outputs implements AutoCloseable {

  /** What an output path holds. */
  public enum Kind {
    /** A file written whole: a report. */
    FILE,
    /** A model, a file or a directory replaced whole: nothing else may lie inside it. */
    MODEL,
    /** A directory written into: other outputs may lie inside it. */
    DIRECTORY
  }

  /**
   * A path as the user named it; {@code file} is the path the run opens (outputs are normalized
   * first, as writers do), {@code canonical} the file it resolves to.
   */
  private record Named(String option, Path path, Path file, Path canonical, Optional<Kind> kind) {
    String label() {
      return option + " " + path;
    }

    boolean replacedWhole() {
      return kind.isPresent() && kind.get() != Kind.DIRECTORY;
    }
  }

  private final List<Named> outputs;
  private final Deque<Path> written = new ArrayDeque<>();
  private boolean committed;

  private Outputs(List<Named> outputs) {
    this.outputs = List.copyOf(outputs);
  }

  /**
   * Starts the description of a command run's files.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Writes a text output atomically (mode as for any new file, e.g. 0644) and records it for
   * removal if the run fails later.
   *
   * @param path an output given to the builder
   * @param text the content, written as UTF-8
   * @throws IOException naming the option, the path and the reason if it cannot be written
   * @throws IllegalArgumentException if the path is not one of this run's outputs
   */
  public void writeText(Path path, String text) throws IOException {
    Named output = output(path);
    try {
      OutputFiles.writeString(path, text);
    } catch (IOException e) {
      throw new IOException(output.label() + ": cannot write it (" + FileErrors.reason(e) + ")", e);
    }
    written.push(path);
  }

  /**
   * Records an output that was written by someone else (the compressor), for removal if the run
   * fails later.
   *
   * @param path the file or directory written in this run
   */
  public void written(Path path) {
    written.push(path);
  }

  /** Keeps every output: the run succeeded (or ended with a verdict, such as a failed gate). */
  public void commit() {
    committed = true;
  }

  /** Removes the outputs this run wrote, newest first, unless the run was committed. */
  @Override
  public void close() {
    if (committed) {
      return;
    }
    while (!written.isEmpty()) {
      Path path = written.pop();
      try {
        OutputFiles.deleteRecursively(path);
      } catch (IOException e) {
        // Best effort: the run's own error is the one to report.
      }
    }
  }

  private Named output(Path path) {
    for (Named o : outputs) {
      if (o.path().equals(path)) {
        return o;
      }
    }
    throw new IllegalArgumentException(path + " is not an output of this run");
  }

  /** Collects the inputs and outputs of a run; {@link #build()} checks them. */
  public static final class Builder {

    private final List<Named> inputs = new ArrayList<>();
    private final List<Named> outputs = new ArrayList<>();

    private Builder() {}

    /**
     * Adds a path the run reads.
     *
     * @param option how messages name it, e.g. {@code --model}
     * @param path the file or directory
     * @return this builder
     */
    public Builder optInput(String option, Path path) {
      inputs.add(new Named(option, path, path, canonicalInput(path), Optional.empty()));
      return this;
    }

    /**
     * Adds a path the run writes.
     *
     * @param option how messages name it, e.g. {@code --report}
     * @param path the file or directory
     * @param kind what it holds
     * @return this builder
     */
    public Builder optOutput(String option, Path path, Kind kind) {
      outputs.add(
          new Named(
              option,
              path,
              path.toAbsolutePath().normalize(),
              canonicalOutput(path),
              Optional.of(kind)));
      return this;
    }

    /**
     * Adds several paths the run writes under one option.
     *
     * @param option how messages name them
     * @param paths the files or directories
     * @param kind what they hold
     * @return this builder
     */
    public Builder optOutputs(String option, List<Path> paths, Kind kind) {
      paths.forEach(p -> optOutput(option, p, kind));
      return this;
    }

    /**
     * Checks every output's target and parent, then every output against every input and every
     * other output.
     *
     * @return the run's outputs, ready to write
     * @throws IllegalArgumentException naming the option, the path and the problem
     */
    public Outputs build() {
      for (Named o : outputs) {
        checkTarget(o);
      }
      for (int i = 0; i < outputs.size(); i++) {
        Named o = outputs.get(i);
        for (Named in : inputs) {
          if (same(o, in)) {
            throw clash(o.label() + " is the same file as " + in.label());
          }
          if (inside(o, in)) {
            throw clash(o.label() + " lies inside " + in.label());
          }
          if (o.replacedWhole() && inside(in, o)) {
            throw clash(o.label() + " contains " + in.label() + ", which it would replace");
          }
        }
        for (Named earlier : outputs.subList(0, i)) {
          if (same(o, earlier)) {
            throw clash(o.label() + " is the same file as " + earlier.label());
          }
          if (earlier.replacedWhole() && inside(o, earlier)) {
            throw clash(o.label() + " lies inside " + earlier.label());
          }
          if (o.replacedWhole() && inside(earlier, o)) {
            throw clash(earlier.label() + " lies inside " + o.label());
          }
        }
      }
      return new Outputs(outputs);
    }

    private static IllegalArgumentException clash(String message) {
      return new IllegalArgumentException(message + "; choose another path");
    }

    private static void checkTarget(Named o) {
      Path abs = o.path().toAbsolutePath().normalize();
      Kind kind = o.kind().orElseThrow();
      if (kind == Kind.FILE && Files.isDirectory(abs)) {
        throw new IllegalArgumentException(o.label() + ": is a directory; give a file name");
      }
      if (kind == Kind.DIRECTORY && Files.exists(abs) && !Files.isDirectory(abs)) {
        throw new IllegalArgumentException(o.label() + ": exists and is not a directory");
      }
      Path start = kind == Kind.DIRECTORY ? abs : abs.getParent();
      if (start == null) {
        throw new IllegalArgumentException(o.label() + ": cannot write to the file system root");
      }
      Path existing = start;
      while (existing != null && !Files.exists(existing)) {
        existing = existing.getParent();
      }
      if (existing == null) {
        return;
      }
      String shown = asGiven(o.path(), abs, existing);
      if (!Files.isDirectory(existing)) {
        throw new IllegalArgumentException(
            o.label() + ": cannot be created, " + shown + " is a file, not a directory");
      }
      if (!Files.isWritable(existing)) {
        throw new IllegalArgumentException(
            o.label() + ": cannot be written, the directory " + shown + " is not writable");
      }
    }

    /** Names an ancestor of {@code abs} the way the user's path would, e.g. {@code m.pt}. */
    private static String asGiven(Path given, Path abs, Path ancestor) {
      int drop = abs.getNameCount() - ancestor.getNameCount();
      Path normal = given.normalize();
      if (given.isAbsolute() || normal.getNameCount() <= drop) {
        return ancestor.toString();
      }
      return normal.subpath(0, normal.getNameCount() - drop).toString();
    }

    private static boolean same(Named a, Named b) {
      if (a.canonical().equals(b.canonical())) {
        return true;
      }
      try {
        return Files.exists(a.file())
            && Files.exists(b.file())
            && Files.isSameFile(a.file(), b.file());
      } catch (IOException e) {
        return false;
      }
    }

    /** Whether {@code inner} lies strictly inside {@code outer}. */
    private static boolean inside(Named inner, Named outer) {
      return inner.canonical().startsWith(outer.canonical())
          && !inner.canonical().equals(outer.canonical());
    }
  }

  /**
   * The file a path to be written names: writers normalize the path first (as {@link OutputFiles}
   * does), then the file system resolves the links of its existing ancestors.
   */
  static Path canonicalOutput(Path path) {
    Path abs = path.toAbsolutePath().normalize();
    Path parent = abs.getParent();
    if (parent == null) {
      return abs;
    }
    Deque<Path> missing = new ArrayDeque<>();
    Path existing = parent;
    while (existing != null && !Files.exists(existing)) {
      missing.push(existing.getFileName());
      existing = existing.getParent();
    }
    Path base = existing == null ? abs.getRoot() : realOrSelf(existing);
    while (!missing.isEmpty()) {
      base = base.resolve(missing.pop());
    }
    return base.resolve(abs.getFileName());
  }

  /** The file a path to be read names: its real path, as the file system resolves it. */
  static Path canonicalInput(Path path) {
    if (Files.exists(path)) {
      return realOrSelf(path.toAbsolutePath());
    }
    return canonicalOutput(path);
  }

  private static Path realOrSelf(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      return path.toAbsolutePath().normalize();
    }
  }
}
