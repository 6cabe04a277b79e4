package dev.lowrank.runtime;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The manifest every compressed model carries ({@value #FILE_NAME}): its name, its schema version,
 * and the reader of the one part a runtime needs, the factorized layers and their ranks. The
 * compressor writes the whole document (see {@code dev.lowrank.compress.ManifestJson} for the
 * schema); a service that loads compressed DJL models reads it here.
 */
public final class ManifestFile {

  /** The file name of the manifest inside a compressed DJL model directory or TorchScript zip. */
  public static final String FILE_NAME = "lowrank-manifest.json";

  /** The current schema version; bumped on any incompatible change. Readers refuse newer ones. */
  public static final int FORMAT_VERSION = 1;

  /** Manifests are a few kilobytes per layer; anything near this is not one. */
  public static final long MAX_BYTES = 64L << 20;

  private ManifestFile() {}

  /**
   * A layer the manifest records as holding factors: what a loader needs to rebuild it.
   *
   * @param name the layer name (the DJL block path)
   * @param outFeatures {@code n}
   * @param inFeatures {@code m}
   * @param hasBias whether the layer has a bias
   * @param rank the rank of its factors
   * @param kind {@code linear} or {@code conv2d}
   * @param form for a convolution, {@code channel} or {@code spatial}
   * @param conv for a convolution, its geometry as the manifest records it
   */
  public record FactorizedLayer(
      String name,
      int outFeatures,
      int inFeatures,
      boolean hasBias,
      int rank,
      String kind,
      Optional<String> form,
      Optional<Conv> conv) {

    /**
     * Describes a factorized linear layer.
     *
     * @param name the layer name
     * @param outFeatures {@code n}
     * @param inFeatures {@code m}
     * @param hasBias whether the layer has a bias
     * @param rank the rank
     */
    public FactorizedLayer(
        String name, int outFeatures, int inFeatures, boolean hasBias, int rank) {
      this(
          name, outFeatures, inFeatures, hasBias, rank, LINEAR, Optional.empty(), Optional.empty());
    }

    /**
     * Returns whether the layer is a convolution.
     *
     * @return {@code true} for kind {@code conv2d}
     */
    public boolean isConv() {
      return CONV2D.equals(kind);
    }
  }

  /** The {@code kind} of linear layers. */
  public static final String LINEAR = "linear";

  /** The {@code kind} of 2-D convolutions. */
  public static final String CONV2D = "conv2d";

  /**
   * The geometry of a factorized convolution, the manifest's {@code conv} object: what a loader
   * needs besides the rank and form to rebuild its two convolutions.
   *
   * @param inChannels {@code C_in}
   * @param kernelHeight {@code kh}
   * @param kernelWidth {@code kw}
   * @param strideHeight the vertical stride
   * @param strideWidth the horizontal stride
   * @param padHeight the vertical padding
   * @param padWidth the horizontal padding
   * @param dilationHeight the vertical dilation
   * @param dilationWidth the horizontal dilation
   * @param groups the groups (1 for a factorized convolution)
   */
  public record Conv(
      int inChannels,
      int kernelHeight,
      int kernelWidth,
      int strideHeight,
      int strideWidth,
      int padHeight,
      int padWidth,
      int dilationHeight,
      int dilationWidth,
      int groups) {}

  /**
   * Reads the factorized layers (status {@code factorized} or {@code low_rank_input}) of a manifest
   * file.
   *
   * @param file the manifest
   * @return the layers with a rank, in model order
   * @throws IOException if the file cannot be read, is malformed, or has a newer schema version;
   *     the message names the file
   */
  public static List<FactorizedLayer> factorizedLayers(Path file) throws IOException {
    if (Files.size(file) > MAX_BYTES) {
      throw new IOException(file + ": is too large to be a lowrank manifest");
    }
    return factorizedLayers(Files.readString(file, StandardCharsets.UTF_8), file);
  }

  /**
   * Reads the factorized layers of a manifest document.
   *
   * @param json the manifest
   * @param source the file it came from, for messages
   * @return the layers with a rank, in model order
   * @throws IOException if the document is malformed or has a newer schema version
   */
  public static List<FactorizedLayer> factorizedLayers(String json, Path source)
      throws IOException {
    try {
      JsonObject root = JsonParser.parseString(json).getAsJsonObject();
      checkVersion(root, source);
      List<FactorizedLayer> layers = new ArrayList<>();
      for (JsonElement el : root.getAsJsonArray("layers")) {
        JsonObject o = el.getAsJsonObject();
        if (o.get("rank") == null || o.get("rank").isJsonNull()) {
          continue;
        }
        JsonArray shape = o.getAsJsonArray("shape");
        String kind = o.has("kind") ? o.get("kind").getAsString() : LINEAR;
        Optional<String> form =
            o.has("form") && !o.get("form").isJsonNull()
                ? Optional.of(o.get("form").getAsString())
                : Optional.empty();
        Optional<Conv> conv =
            o.has("conv") && !o.get("conv").isJsonNull()
                ? Optional.of(conv(o.getAsJsonObject("conv")))
                : Optional.empty();
        if (CONV2D.equals(kind) && conv.isEmpty()) {
          throw new IOException(
              source + ": the lowrank manifest's convolution " + o.get("name") + " has no conv");
        }
        layers.add(
            new FactorizedLayer(
                o.get("name").getAsString(),
                shape.get(0).getAsInt(),
                shape.get(1).getAsInt(),
                o.get("bias").getAsBoolean(),
                o.get("rank").getAsInt(),
                kind,
                form,
                conv));
      }
      return layers;
    } catch (JsonParseException
        | IllegalStateException
        | NullPointerException
        | UnsupportedOperationException
        | IndexOutOfBoundsException
        | ClassCastException
        | NumberFormatException e) {
      throw new IOException(source + ": the lowrank manifest is malformed (" + e + ")", e);
    }
  }

  private static Conv conv(JsonObject o) {
    JsonArray k = o.getAsJsonArray("kernel");
    JsonArray s = o.getAsJsonArray("stride");
    JsonArray p = o.getAsJsonArray("padding");
    JsonArray d = o.getAsJsonArray("dilation");
    return new Conv(
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

  /**
   * Refuses a manifest of a schema version this lowrank does not read.
   *
   * @param root the parsed document
   * @param source the file it came from, for messages
   * @throws IOException if the version is missing, below 1 or newer than {@link #FORMAT_VERSION}
   */
  public static void checkVersion(JsonObject root, Path source) throws IOException {
    JsonElement v = root.get("formatVersion");
    int version = v == null || v.isJsonNull() ? 0 : v.getAsInt();
    if (version > FORMAT_VERSION || version < 1) {
      throw new IOException(
          source
              + ": manifest format version "
              + version
              + " is not supported (this lowrank reads up to "
              + FORMAT_VERSION
              + "); upgrade lowrank");
    }
  }
}
