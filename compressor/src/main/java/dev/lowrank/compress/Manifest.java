package dev.lowrank.compress;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.lowrank.format.ModelFileException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;

/**
 * The small record every compressed model carries ({@value #FILE_NAME}), and the {@code --report}
 * JSON: tool version, settings, SHA-256 of the input, parameter totals and, per layer, rank, energy
 * kept and error, so that a result can be traced and reproduced.
 *
 * <p>Schema (format version {@value #FORMAT_VERSION}): {@code formatVersion}, {@code tool}, {@code
 * toolVersion}, {@code format}, {@code input.file}, {@code input.sha256}, {@code settings.*},
 * {@code params.original}, {@code params.compressed}, {@code params.ratio}, and {@code layers[]}
 * with {@code name}, {@code shape [n, m]}, {@code bias}, {@code status} ({@code factorized}, {@code
 * dense}, {@code low_rank_input}), {@code rank} (null when dense), {@code reason} (null when
 * factorized), {@code params.before}, {@code params.after}, {@code energyKept}, {@code
 * relativeError}, {@code svd}. Readers refuse a newer format version.
 */
public final class Manifest {

  /** The file name of the manifest inside a compressed DJL model directory or TorchScript zip. */
  public static final String FILE_NAME = "lowrank-manifest.json";

  /** The current schema version; bumped on any incompatible change. */
  public static final int FORMAT_VERSION = 1;

  private static final Gson GSON =
      new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create();

  private static final String VERSION = loadVersion();

  private Manifest() {}

  /**
   * Returns this lowrank's version.
   *
   * @return the version string, e.g. {@code 0.1.0}
   */
  public static String toolVersion() {
    return VERSION;
  }

  /**
   * Writes a result as manifest JSON.
   *
   * @param result the result
   * @return pretty-printed JSON
   */
  public static String toJson(CompressionResult result) {
    JsonObject root = new JsonObject();
    root.addProperty("formatVersion", FORMAT_VERSION);
    root.addProperty("tool", "lowrank");
    root.addProperty("toolVersion", result.toolVersion());
    root.addProperty("format", result.format());
    JsonObject input = new JsonObject();
    input.add("file", string(result.inputFile()));
    input.add("sha256", string(result.inputSha256()));
    root.add("input", input);
    JsonObject settings = new JsonObject();
    result.settings().forEach(settings::addProperty);
    root.add("settings", settings);
    JsonObject params = new JsonObject();
    params.addProperty("original", result.parametersOriginal());
    params.addProperty("compressed", result.parametersCompressed());
    params.addProperty("ratio", result.parameterRatio());
    root.add("params", params);
    JsonArray layers = new JsonArray();
    for (LayerResult l : result.layers()) {
      JsonObject o = new JsonObject();
      o.addProperty("name", l.name());
      JsonArray shape = new JsonArray();
      shape.add(l.outFeatures());
      shape.add(l.inFeatures());
      o.add("shape", shape);
      o.addProperty("bias", l.hasBias());
      o.addProperty("status", l.status().name().toLowerCase(Locale.ROOT));
      o.add(
          "rank",
          l.rank().isPresent() ? new JsonPrimitive(l.rank().getAsInt()) : JsonNull.INSTANCE);
      o.add("reason", string(l.reason()));
      JsonObject lp = new JsonObject();
      lp.addProperty("before", l.parametersBefore());
      lp.addProperty("after", l.parametersAfter());
      o.add("params", lp);
      o.add("energyKept", number(l.energyKept()));
      o.add("relativeError", number(l.relativeError()));
      o.add("svd", string(l.svd()));
      layers.add(o);
    }
    root.add("layers", layers);
    return GSON.toJson(root) + "\n";
  }

  /**
   * Reads manifest JSON back into a result.
   *
   * @param json the document
   * @param source the file it came from, for error messages
   * @return the result it records
   * @throws ModelFileException if the JSON is malformed, lacks a field, or has a newer format
   *     version than this lowrank reads
   */
  public static CompressionResult parse(String json, Path source) throws ModelFileException {
    try {
      JsonObject root = JsonParser.parseString(json).getAsJsonObject();
      int version = root.get("formatVersion").getAsInt();
      if (version > FORMAT_VERSION || version < 1) {
        throw new ModelFileException(
            source,
            "manifest format version "
                + version
                + " is not supported by lowrank "
                + VERSION
                + " (reads up to "
                + FORMAT_VERSION
                + "); upgrade lowrank");
      }
      Map<String, String> settings = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> e : root.getAsJsonObject("settings").entrySet()) {
        settings.put(e.getKey(), e.getValue().getAsString());
      }
      List<LayerResult> layers = new ArrayList<>();
      for (JsonElement el : root.getAsJsonArray("layers")) {
        JsonObject o = el.getAsJsonObject();
        JsonArray shape = o.getAsJsonArray("shape");
        JsonObject lp = o.getAsJsonObject("params");
        layers.add(
            new LayerResult(
                o.get("name").getAsString(),
                shape.get(0).getAsInt(),
                shape.get(1).getAsInt(),
                o.get("bias").getAsBoolean(),
                LayerStatus.valueOf(o.get("status").getAsString().toUpperCase(Locale.ROOT)),
                o.get("rank").isJsonNull()
                    ? OptionalInt.empty()
                    : OptionalInt.of(o.get("rank").getAsInt()),
                optString(o.get("reason")),
                lp.get("before").getAsLong(),
                lp.get("after").getAsLong(),
                optNumber(o.get("energyKept")),
                optNumber(o.get("relativeError")),
                optString(o.get("svd"))));
      }
      JsonObject input = root.getAsJsonObject("input");
      JsonObject params = root.getAsJsonObject("params");
      return new CompressionResult(
          root.get("toolVersion").getAsString(),
          root.get("format").getAsString(),
          optString(input.get("file")),
          optString(input.get("sha256")),
          settings,
          layers,
          params.get("original").getAsLong(),
          params.get("compressed").getAsLong());
    } catch (JsonParseException
        | IllegalStateException
        | NullPointerException
        | UnsupportedOperationException
        | IllegalArgumentException e) {
      throw new ModelFileException(source, "the lowrank manifest is malformed (" + e + ")", e);
    }
  }

  private static JsonElement string(Optional<String> value) {
    return value.<JsonElement>map(JsonPrimitive::new).orElse(JsonNull.INSTANCE);
  }

  private static JsonElement number(double value) {
    return Double.isFinite(value) ? new JsonPrimitive(value) : JsonNull.INSTANCE;
  }

  private static Optional<String> optString(JsonElement e) {
    return e == null || e.isJsonNull() ? Optional.empty() : Optional.of(e.getAsString());
  }

  private static double optNumber(JsonElement e) {
    return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
  }

  private static String loadVersion() {
    try (InputStream in = Manifest.class.getResourceAsStream("lowrank-version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
