package dev.lowrank.eval.internal;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.Compressor;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.io.Fingerprint;
import dev.lowrank.io.InputFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Checks that a compressed model was made from the original it is compared with: the manifest
 * lowrank embeds records the SHA-256 of the model it compressed ({@link Fingerprint}), which must
 * be the original's.
 *
 * <p>A mismatch is bad input (a {@link ModelFileException} naming both files). A compressed model
 * without a manifest (not written by lowrank, or compressed in memory) cannot be checked: it is
 * compared anyway, and the check returns a warning saying so.
 */
public final class Provenance {

  /** Hex digits of a SHA-256 shown in messages. */
  private static final int SHOWN = 12;

  private Provenance() {}

  /**
   * Checks that {@code compressed} was compressed from {@code original}.
   *
   * @param original the original model
   * @param compressed the compressed model
   * @return the warnings, one sentence each: empty when the manifest confirms the source, one when
   *     it cannot be checked; empty too when a file is missing (loading the models reports that)
   * @throws ModelFileException if the compressed model's manifest names another source, or the
   *     original cannot be read to hash it
   */
  public static List<String> check(Path original, Path compressed) throws ModelFileException {
    if (!Files.exists(original) || !Files.exists(compressed)) {
      return List.of();
    }
    String unchecked =
        ", so it cannot be checked that it was compressed from " + original + "; compared anyway";
    Optional<CompressionResult> manifest;
    try {
      ModelFormats.detect(compressed);
    } catch (ModelFileException e) {
      return List.of(
          compressed + ": is in no format lowrank writes (it has no manifest)" + unchecked);
    }
    try {
      manifest = Compressor.manifest(compressed);
    } catch (ModelFileException e) {
      return List.of(
          compressed + ": its lowrank manifest cannot be read (" + problem(e) + ")" + unchecked);
    }
    if (manifest.isEmpty()) {
      return List.of(compressed + ": has no lowrank manifest" + unchecked);
    }
    Optional<String> expected = manifest.get().inputSha256();
    if (expected.isEmpty()) {
      return List.of(
          compressed
              + ": its manifest records no SHA-256 of its source (it was compressed in memory)"
              + unchecked);
    }
    String actual;
    try {
      actual = Fingerprint.sha256(original);
    } catch (IOException e) {
      throw new ModelFileException(original, "cannot be read (" + e.getMessage() + ")", e);
    }
    if (!actual.equalsIgnoreCase(expected.get())) {
      String source =
          manifest.get().inputFile().map(InputFileException::quote).orElse("a model")
              + " with SHA-256 ";
      throw new ModelFileException(
          compressed,
          "was compressed from "
              + source
              + shortHash(expected.get())
              + ", not from "
              + original
              + " (SHA-256 "
              + shortHash(actual)
              + "); give --model the model it was compressed from");
    }
    return List.of();
  }

  private static String shortHash(String hex) {
    // The manifest's value is file content: show a bounded prefix, hex digits only.
    String shown = hex.length() <= SHOWN ? hex : hex.substring(0, SHOWN);
    return shown.toLowerCase(Locale.ROOT).replaceAll("[^0-9a-f]", "?")
        + (hex.length() > SHOWN ? "..." : "");
  }

  /** The message without its leading file name. */
  private static String problem(ModelFileException e) {
    String prefix = e.file() + ": ";
    String m = e.getMessage();
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }
}
