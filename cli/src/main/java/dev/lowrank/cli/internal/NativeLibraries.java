package dev.lowrank.cli.internal;

import ai.djl.util.Utils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Recognizes a native library that failed to load and says what to do: OpenBLAS (extracted by
 * JavaCPP into {@code ~/.javacpp/cache}, else {@code java.io.tmpdir}) and libtorch (extracted by
 * DJL into {@code $DJL_CACHE_DIR}, else {@code ~/.djl.ai}, else {@code java.io.tmpdir}) need a
 * writable directory; an unwritable home and temporary directory is the usual cause.
 */
public final class NativeLibraries {

  private static final String JAVACPP_CACHE = "org.bytedeco.javacpp.cachedir";

  private NativeLibraries() {}

  /**
   * Explains a failure if it is a native library that could not be loaded.
   *
   * @param failure any failure
   * @return one line saying which library and which directory must be writable, or empty if the
   *     failure is something else
   */
  public static Optional<String> explain(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (isJavaCpp(t)) {
        return Optional.of(javaCpp(t));
      }
      if (isDjlEngine(t)) {
        return Optional.of(djl(t));
      }
      if (t instanceof UnsatisfiedLinkError) {
        return Optional.of(
            "cannot load a native library (" + t.getMessage() + ")" + tmpdirHint(List.of()));
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return Optional.empty();
  }

  private static boolean isJavaCpp(Throwable t) {
    String message = String.valueOf(t.getMessage());
    if (t instanceof UnsatisfiedLinkError || t instanceof NoClassDefFoundError) {
      return message.contains("org.bytedeco")
          || message.contains("javacpp")
          || message.contains(JAVACPP_CACHE)
          || thrownBy(t, "org.bytedeco.");
    }
    return t instanceof RuntimeException && message.contains("No native JavaCPP library");
  }

  private static boolean isDjlEngine(Throwable t) {
    if (!t.getClass().getName().equals("ai.djl.engine.EngineException")) {
      return false;
    }
    String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
    return message.contains("native library")
        || message.contains("no deep learning engine")
        || hasCause(t, UnsatisfiedLinkError.class);
  }

  private static String javaCpp(Throwable t) {
    List<Path> candidates = new ArrayList<>();
    String explicit = System.getProperty(JAVACPP_CACHE);
    if (explicit != null) {
      candidates.add(Path.of(explicit));
    }
    candidates.add(home().resolve(".javacpp").resolve("cache"));
    candidates.add(
        tmpdir().resolve(".javacpp-" + System.getProperty("user.name", "user")).resolve("cache"));
    List<Path> unwritable = candidates.stream().filter(p -> !creatable(p)).toList();
    if (unwritable.size() < candidates.size()) {
      return "cannot load the native OpenBLAS library through JavaCPP (" + t.getMessage() + ")";
    }
    return "cannot load the native OpenBLAS library: JavaCPP extracts it into a cache directory"
        + " and cannot create or write any of "
        + join(candidates)
        + "; make the home directory or java.io.tmpdir ("
        + tmpdir()
        + ") writable, or set -D"
        + JAVACPP_CACHE
        + "=DIR (with the launcher: LOWRANK_JAVA_OPTS)";
  }

  private static String djl(Throwable t) {
    Path cache = Utils.getEngineCacheDir();
    if (creatable(cache)) {
      return "cannot load PyTorch's native library (libtorch) through DJL ("
          + t.getMessage()
          + ")"
          + tmpdirHint(List.of(cache));
    }
    return "cannot load PyTorch's native library: DJL extracts libtorch into "
        + cache
        + " ($DJL_CACHE_DIR, else ~/.djl.ai, else java.io.tmpdir), which cannot be created or"
        + " written; make it writable or set DJL_CACHE_DIR to a writable directory"
        + tmpdirHint(List.of(cache));
  }

  /** Adds that java.io.tmpdir must be writable when it is not (JNA and DJL use it too). */
  private static String tmpdirHint(List<Path> named) {
    Path tmp = tmpdir();
    if (creatable(tmp) || named.contains(tmp)) {
      return "";
    }
    return "; java.io.tmpdir (" + tmp + ") must be writable too";
  }

  private static Path home() {
    return Path.of(System.getProperty("user.home", "."));
  }

  private static Path tmpdir() {
    return Path.of(System.getProperty("java.io.tmpdir", "/tmp"));
  }

  /** Whether the directory exists and is writable, or could be created. */
  private static boolean creatable(Path dir) {
    Path p = dir.toAbsolutePath().normalize();
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    return p != null && Files.isDirectory(p) && Files.isWritable(p);
  }

  private static String join(List<Path> paths) {
    return String.join(", ", paths.stream().map(Path::toString).toList());
  }

  private static boolean thrownBy(Throwable t, String packagePrefix) {
    StackTraceElement[] trace = t.getStackTrace();
    return trace.length > 0 && trace[0].getClassName().startsWith(packagePrefix);
  }

  private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t.getCause(); c != null && c != t; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }
}
