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
import dev.lowrank.finetune.FinetuneEpoch;
import dev.lowrank.finetune.FinetuneLoss;
import dev.lowrank.finetune.FinetuneReport;
import dev.lowrank.format.ConvForm;
import dev.lowrank.format.ConvGeometry;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerKind;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.linalg.SvdAlgorithm;
import dev.lowrank.runtime.ManifestFile;
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
 * The JSON codec of a {@link CompressionResult}: the manifest every compressed model carries
 * ({@link ManifestFile#FILE_NAME}) and the {@code --report} JSON, with tool version, settings,
 * SHA-256 of the input, parameter totals and, per layer, rank, energy kept and error, so that a
 * result can be traced and reproduced.
 *
 * <p>Schema (format version {@link ManifestFile#FORMAT_VERSION}): {@code formatVersion}, {@code
 * tool}, {@code toolVersion}, {@code format}, {@code input.file}, {@code input.sha256}, {@code
 * settings.*}, {@code params.original}, {@code params.compressed}, {@code params.ratio}, and {@code
 * layers[]} with {@code name}, {@code shape [n, m]}, {@code bias}, {@code status} ({@code
 * factorized}, {@code dense}, {@code low_rank_input}), {@code rank} (null when dense), {@code
 * reason} (null when factorized), {@code params.before}, {@code params.after}, {@code energyKept},
 * {@code relativeError}, {@code svd}; added since: {@code kind} ({@code linear}, {@code conv2d};
 * absent means linear), {@code form} ({@code channel} or {@code spatial} for a factorized
 * convolution, else null) and {@code conv} (a convolution's {@code inChannels}, {@code
 * outChannels}, {@code kernel [kh, kw]}, {@code stride}, {@code padding}, {@code dilation}, {@code
 * groups}; null for other kinds), with {@code shape} the channel form {@code [C_out, C_in kh kw]}.
 * Readers refuse a newer format version.
 *
 * <p>A data-aware compression adds {@code calibration} ({@code source}, {@code sha256}, {@code
 * samples}, {@code tokens}, {@code mask}, {@code sharedInputs} (groups of layer names), {@code
 * notReached}), the settings {@code method}, {@code alpha}, {@code sequential}, {@code allocation}
 * and {@code calibration}, and per layer {@code data} ({@code method}, {@code energyKept}, {@code
 * relativeError}, {@code optimalError}, {@code sharedWith}, {@code whitening}, {@code sequential},
 * and since convolutions are calibrated {@code note}: how the data shaped a convolution's form, or
 * null); these fields are absent otherwise.
 *
 * <p>After a fine-tuning, {@code finetune} (absent otherwise): {@code data.name}, {@code
 * data.sha256}, {@code data.train}, {@code data.heldOut}, {@code loss}, {@code fidelity} (how
 * held-out samples are scored: {@code agreement}, {@code accuracy}, {@code cosine}), {@code
 * learningRate}, {@code batchSize}, {@code maxEpochs}, {@code patience}, {@code temperature},
 * {@code seed}, {@code layers[]}, {@code before} and {@code after} ({@code heldOutLoss}, {@code
 * fidelity}), {@code bestEpoch}, {@code stoppedEarly}, {@code seconds}, {@code secondsPerEpoch} and
 * {@code epochs[]} ({@code epoch}, {@code trainLoss}, {@code heldOutLoss}, {@code fidelity}, {@code
 * seconds}); the layers' {@code relativeError} is then that of the trained factors.
 */
public final class ManifestJson {

  private static final Gson GSON =
      new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create();

  private static final String VERSION = loadVersion();

  private ManifestJson() {}

  /** Returns this lowrank's version, as {@link Compressor#version()} reports it. */
  static String toolVersion() {
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
    root.addProperty("formatVersion", ManifestFile.FORMAT_VERSION);
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
      o.addProperty("name", l.layer().name());
      JsonArray shape = new JsonArray();
      shape.add(l.layer().outFeatures());
      shape.add(l.layer().inFeatures());
      o.add("shape", shape);
      o.addProperty("bias", l.layer().hasBias());
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
      o.add("svd", string(l.svd().map(SvdAlgorithm::label)));
      l.data().ifPresent(d -> o.add("data", dataFit(d)));
      o.addProperty("kind", l.layer().kind().label());
      o.add("form", string(l.form().map(ConvForm::label)));
      o.add(
          "conv", l.layer().conv().<JsonElement>map(ManifestJson::conv).orElse(JsonNull.INSTANCE));
      layers.add(o);
    }
    root.add("layers", layers);
    result.calibration().ifPresent(c -> root.add("calibration", calibration(c)));
    result.finetune().ifPresent(f -> root.add("finetune", finetune(f)));
    return GSON.toJson(root) + "\n";
  }

  private static JsonObject finetune(FinetuneReport f) {
    JsonObject o = new JsonObject();
    JsonObject data = new JsonObject();
    data.addProperty("name", f.dataName());
    data.addProperty("sha256", f.dataSha256());
    data.addProperty("train", f.trainSamples());
    data.addProperty("heldOut", f.heldOutSamples());
    o.add("data", data);
    o.addProperty("loss", f.loss().cliName());
    o.addProperty("fidelity", f.fidelity().jsonName());
    o.add("learningRate", number(f.learningRate()));
    o.addProperty("batchSize", f.batchSize());
    o.addProperty("maxEpochs", f.maxEpochs());
    o.addProperty("patience", f.patience());
    o.add("temperature", number(f.temperature()));
    o.addProperty("seed", f.seed());
    JsonArray layers = new JsonArray();
    f.layers().forEach(layers::add);
    o.add("layers", layers);
    o.add("before", score(f.heldOutLossBefore(), f.fidelityBefore()));
    o.add("after", score(f.heldOutLossAfter(), f.fidelityAfter()));
    o.addProperty("bestEpoch", f.bestEpoch());
    o.addProperty("stoppedEarly", f.stoppedEarly());
    o.add("seconds", number(f.seconds()));
    o.add("secondsPerEpoch", number(f.secondsPerEpoch()));
    JsonArray epochs = new JsonArray();
    for (FinetuneEpoch e : f.epochs()) {
      JsonObject eo = new JsonObject();
      eo.addProperty("epoch", e.epoch());
      eo.add("trainLoss", number(e.trainLoss()));
      eo.add("heldOutLoss", number(e.heldOutLoss()));
      eo.add("fidelity", number(e.heldOutFidelity()));
      eo.add("seconds", number(e.seconds()));
      epochs.add(eo);
    }
    o.add("epochs", epochs);
    return o;
  }

  private static JsonObject score(double loss, double fidelity) {
    JsonObject o = new JsonObject();
    o.add("heldOutLoss", number(loss));
    o.add("fidelity", number(fidelity));
    return o;
  }

  private static Optional<FinetuneReport> parseFinetune(JsonElement element) {
    if (element == null || element.isJsonNull()) {
      return Optional.empty();
    }
    JsonObject o = element.getAsJsonObject();
    JsonObject data = o.getAsJsonObject("data");
    List<String> layers = new ArrayList<>();
    o.getAsJsonArray("layers").forEach(l -> layers.add(l.getAsString()));
    List<FinetuneEpoch> epochs = new ArrayList<>();
    for (JsonElement el : o.getAsJsonArray("epochs")) {
      JsonObject e = el.getAsJsonObject();
      epochs.add(
          new FinetuneEpoch(
              e.get("epoch").getAsInt(),
              optNumber(e.get("trainLoss")),
              optNumber(e.get("heldOutLoss")),
              optNumber(e.get("fidelity")),
              optNumber(e.get("seconds"))));
    }
    JsonObject before = o.getAsJsonObject("before");
    JsonObject after = o.getAsJsonObject("after");
    return Optional.of(
        new FinetuneReport(
            data.get("name").getAsString(),
            data.get("sha256").getAsString(),
            data.get("train").getAsInt(),
            data.get("heldOut").getAsInt(),
            FinetuneLoss.parse(o.get("loss").getAsString()),
            FinetuneReport.Fidelity.parse(o.get("fidelity").getAsString()),
            optNumber(o.get("learningRate")),
            o.get("batchSize").getAsInt(),
            o.get("maxEpochs").getAsInt(),
            o.get("patience").getAsInt(),
            optNumber(o.get("temperature")),
            o.get("seed").getAsLong(),
            layers,
            optNumber(before.get("heldOutLoss")),
            optNumber(before.get("fidelity")),
            optNumber(after.get("heldOutLoss")),
            optNumber(after.get("fidelity")),
            epochs,
            o.get("bestEpoch").getAsInt(),
            o.get("stoppedEarly").getAsBoolean(),
            optNumber(o.get("seconds"))));
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
      try {
        ManifestFile.checkVersion(root, source);
      } catch (IOException e) {
        throw new ModelFileException(
            source,
            e.getMessage().substring(source.toString().length() + 2) + " (lowrank " + VERSION + ")",
            e);
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
        LayerStatus status =
            LayerStatus.valueOf(o.get("status").getAsString().toUpperCase(Locale.ROOT));
        OptionalInt rank =
            o.get("rank").isJsonNull()
                ? OptionalInt.empty()
                : OptionalInt.of(o.get("rank").getAsInt());
        LayerKind kind =
            o.has("kind") ? LayerKind.ofLabel(o.get("kind").getAsString()) : LayerKind.LINEAR;
        Optional<ConvForm> form = optString(o.get("form")).map(ConvForm::ofLabel);
        Optional<ConvGeometry> geometry =
            o.has("conv") && !o.get("conv").isJsonNull()
                ? Optional.of(conv(o.getAsJsonObject("conv")))
                : Optional.empty();
        boolean lowRankInput = status == LayerStatus.LOW_RANK_INPUT;
        Layer layer =
            new Layer(
                o.get("name").getAsString(),
                kind,
                shape.get(0).getAsInt(),
                shape.get(1).getAsInt(),
                o.get("bias").getAsBoolean(),
                lowRankInput ? rank : OptionalInt.empty(),
                Optional.empty(),
                geometry,
                lowRankInput ? form : Optional.empty());
        layers.add(
            new LayerResult(
                layer,
                status,
                rank,
                optString(o.get("reason")),
                lp.get("before").getAsLong(),
                lp.get("after").getAsLong(),
                optNumber(o.get("energyKept")),
                optNumber(o.get("relativeError")),
                optString(o.get("svd")).map(SvdAlgorithm::parse),
                o.has("data") && o.get("data").isJsonObject()
                    ? Optional.of(dataFit(o.getAsJsonObject("data")))
                    : Optional.empty(),
                form));
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
          params.get("compressed").getAsLong(),
          root.has("calibration") && root.get("calibration").isJsonObject()
              ? Optional.of(calibration(root.getAsJsonObject("calibration")))
              : Optional.empty(),
          parseFinetune(root.get("finetune")));
    } catch (JsonParseException
        | IllegalStateException
        | NullPointerException
        | UnsupportedOperationException
        | IndexOutOfBoundsException
        | ClassCastException
        | IllegalArgumentException e) {
      throw new ModelFileException(source, "the lowrank manifest is malformed (" + e + ")", e);
    }
  }

  private static JsonObject dataFit(DataFit d) {
    JsonObject o = new JsonObject();
    o.addProperty("method", d.method().cliName());
    o.add("energyKept", number(d.dataEnergyKept()));
    o.add("relativeError", number(d.dataError()));
    o.add("optimalError", number(d.dataOptimum()));
    o.add("sharedWith", string(d.sharedWith()));
    o.add("whitening", string(d.whitening()));
    o.addProperty("sequential", d.sequential());
    o.add("note", string(d.note()));
    return o;
  }

  private static DataFit dataFit(JsonObject o) {
    return new DataFit(
        TruncationMethod.valueOf(o.get("method").getAsString().toUpperCase(Locale.ROOT)),
        optNumber(o.get("energyKept")),
        optNumber(o.get("relativeError")),
        optNumber(o.get("optimalError")),
        optString(o.get("sharedWith")),
        optString(o.get("whitening")),
        o.has("sequential") && o.get("sequential").getAsBoolean(),
        optString(o.get("note")));
  }

  private static JsonObject calibration(CalibrationSummary c) {
    JsonObject o = new JsonObject();
    o.addProperty("source", c.source());
    o.add("sha256", string(c.sha256()));
    o.addProperty("samples", c.samples());
    o.addProperty("tokens", c.tokens());
    o.add("mask", string(c.mask()));
    JsonArray shared = new JsonArray();
    for (List<String> group : c.sharedInputs()) {
      JsonArray g = new JsonArray();
      group.forEach(g::add);
      shared.add(g);
    }
    o.add("sharedInputs", shared);
    JsonArray missed = new JsonArray();
    c.notReached().forEach(missed::add);
    o.add("notReached", missed);
    return o;
  }

  private static CalibrationSummary calibration(JsonObject o) {
    List<List<String>> shared = new ArrayList<>();
    for (JsonElement g : o.getAsJsonArray("sharedInputs")) {
      List<String> names = new ArrayList<>();
      g.getAsJsonArray().forEach(e -> names.add(e.getAsString()));
      shared.add(names);
    }
    List<String> missed = new ArrayList<>();
    o.getAsJsonArray("notReached").forEach(e -> missed.add(e.getAsString()));
    return new CalibrationSummary(
        o.get("source").getAsString(),
        optString(o.get("sha256")),
        o.get("samples").getAsInt(),
        o.get("tokens").getAsLong(),
        optString(o.get("mask")),
        shared,
        missed);
  }

  private static JsonObject conv(ConvGeometry g) {
    JsonObject o = new JsonObject();
    o.addProperty("inChannels", g.inChannels());
    o.addProperty("outChannels", g.outChannels());
    o.add("kernel", pair(g.kernelHeight(), g.kernelWidth()));
    o.add("stride", pair(g.strideHeight(), g.strideWidth()));
    o.add("padding", pair(g.padHeight(), g.padWidth()));
    o.add("dilation", pair(g.dilationHeight(), g.dilationWidth()));
    o.addProperty("groups", g.groups());
    return o;
  }

  private static ConvGeometry conv(JsonObject o) {
    JsonArray k = o.getAsJsonArray("kernel");
    JsonArray s = o.getAsJsonArray("stride");
    JsonArray p = o.getAsJsonArray("padding");
    JsonArray d = o.getAsJsonArray("dilation");
    return new ConvGeometry(
        o.get("outChannels").getAsInt(),
        o.get("inChannels").getAsInt(),
        k.get(0).getAsInt(),
        k.get(1).getAsInt(),
        s.get(0).getAsInt(),
        s.get(1).getAsInt(),
        p.get(0).getAsInt(),
        p.get(1).getAsInt(),
        d.get(0).getAsInt(),
        d.get(1).getAsInt(),
        o.get("groups").getAsInt());
  }

  private static JsonArray pair(int a, int b) {
    JsonArray out = new JsonArray();
    out.add(a);
    out.add(b);
    return out;
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
    try (InputStream in = ManifestJson.class.getResourceAsStream("lowrank-version.properties")) {
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
