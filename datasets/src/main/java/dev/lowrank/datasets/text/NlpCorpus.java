package dev.lowrank.datasets.text;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * General English sentences for calibration: the npm package {@value #NPM_PACKAGE} (MIT; 100 files
 * of 1,000 shuffled sentences from film reviews, UN documents, transcripts, lyrics, SMS, State of
 * the Union addresses and more, some of it crude), fetched once with {@code npm pack} into the
 * cache. Unlabeled; lowrank never evaluates on it.
 */
public final class NlpCorpus {

  /** The npm package carrying the sentences. */
  public static final String NPM_PACKAGE = "nlp-corpus@4.4.0";

  private static final String SHA256 =
      "099df43749ba6bb26953f98863a5d38ff764648ce21872ceb1515a3eacb5682a";
  private static final int FILES = 100;
  private static final Pattern SPACE = Pattern.compile("\\s+");

  private NlpCorpus() {}

  /**
   * Returns the first sentences, in the package's order ({@code builds/doc-0.json}, then {@code
   * doc-1.json}, ...), whitespace collapsed, blank ones skipped.
   *
   * @param cacheRoot the lowrank cache root
   * @param limit at most this many sentences (the package holds 100,000)
   * @return the sentences
   * @throws IOException if the package cannot be fetched or read
   */
  public static List<String> sentences(Path cacheRoot, int limit) throws IOException {
    Path dir =
        NpmTarball.fetch(
            cacheRoot,
            NPM_PACKAGE,
            SHA256,
            p -> p.startsWith("builds/doc-") && p.endsWith(".json"));
    List<String> out = new ArrayList<>();
    for (int i = 0; i < FILES && out.size() < limit; i++) {
      Path f = dir.resolve("builds").resolve("doc-" + i + ".json");
      if (!Files.isRegularFile(f)) {
        break;
      }
      JsonArray a =
          JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonArray();
      for (JsonElement e : a) {
        String s = SPACE.matcher(e.getAsString()).replaceAll(" ").strip();
        if (!s.isEmpty()) {
          out.add(s);
          if (out.size() == limit) {
            break;
          }
        }
      }
    }
    return out;
  }
}
