package dev.lowrank.format.onnx;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The ONNX fixtures in {@code compressor/src/test/resources/dev/lowrank/format/onnx} (made by
 * make_onnx_fixtures.py next to them: the digits MLP and transformer exported from PyTorch, the MLP
 * with external data, and two hand-built graphs of edge cases), with the golden values of
 * fixtures.json.
 */
public final class OnnxFixtures {

  private static final String DIR = "/dev/lowrank/format/onnx/";

  /**
   * One golden layer.
   *
   * @param name the name lowrank must list
   * @param outFeatures n
   * @param inFeatures m
   * @param bias whether lowrank must see a bias
   * @param eligible whether it may be factorized
   * @param reason a part of the reason it must stay dense, when it must
   */
  public record FixtureLayer(
      String name,
      int outFeatures,
      int inFeatures,
      boolean bias,
      boolean eligible,
      Optional<String> reason) {}

  /**
   * One fixture.
   *
   * @param file the file name
   * @param irVersion the model's IR version
   * @param opset its default-domain operator set
   * @param parameters elements of its floating-point and 8-bit initializers
   * @param inputShape one sample's shape
   * @param batch the samples in {@code input}
   * @param input a fixed seeded input, {@code batch} samples
   * @param output the model's outputs for it (PyTorch's, or NumPy's for hand-built graphs)
   * @param outputWidth the outputs per sample
   * @param tolerance the largest absolute difference from {@code output} a runtime may show
   * @param layers the layers lowrank must list, in order
   * @param data the external data file, if the model has one
   */
  public record Fixture(
      String file,
      long irVersion,
      long opset,
      long parameters,
      long[] inputShape,
      int batch,
      float[] input,
      float[] output,
      int outputWidth,
      double tolerance,
      List<FixtureLayer> layers,
      Optional<String> data) {

    /**
     * Copies the model (and its data file) into a directory.
     *
     * @param dir the directory
     * @return the copied model file
     */
    public Path copyTo(Path dir) {
      data.ifPresent(d -> OnnxFixtures.copy(d, dir));
      return OnnxFixtures.copy(file, dir);
    }

    /**
     * Returns the fixed input's shape with its batch axis.
     *
     * @return {@code [batch, inputShape...]}
     */
    public long[] batchShape() {
      long[] s = new long[inputShape.length + 1];
      s[0] = batch;
      System.arraycopy(inputShape, 0, s, 1, inputShape.length);
      return s;
    }

    @Override
    public String toString() {
      return file;
    }
  }

  private OnnxFixtures() {}

  /**
   * Returns every fixture, in fixtures.json order.
   *
   * @return the fixtures
   */
  public static List<Fixture> all() {
    JsonObject root;
    try (InputStream in = OnnxFixtures.class.getResourceAsStream(DIR + "fixtures.json")) {
      root =
          JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
              .getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Fixture> out = new ArrayList<>();
    for (JsonElement el : root.getAsJsonArray("fixtures")) {
      JsonObject o = el.getAsJsonObject();
      List<FixtureLayer> layers = new ArrayList<>();
      for (JsonElement l : o.getAsJsonArray("layers")) {
        JsonObject lo = l.getAsJsonObject();
        layers.add(
            new FixtureLayer(
                lo.get("name").getAsString(),
                lo.get("outFeatures").getAsInt(),
                lo.get("inFeatures").getAsInt(),
                lo.get("bias").getAsBoolean(),
                lo.get("eligible").getAsBoolean(),
                Optional.ofNullable(lo.get("reason")).map(JsonElement::getAsString)));
      }
      JsonArray shape = o.getAsJsonArray("inputShape");
      long[] s = new long[shape.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = shape.get(i).getAsLong();
      }
      out.add(
          new Fixture(
              o.get("file").getAsString(),
              o.get("irVersion").getAsLong(),
              o.get("opset").getAsLong(),
              o.get("parameters").getAsLong(),
              s,
              o.get("batch").getAsInt(),
              floats(o.getAsJsonArray("input")),
              floats(o.getAsJsonArray("output")),
              o.get("outputWidth").getAsInt(),
              o.has("tolerance") ? o.get("tolerance").getAsDouble() : 1e-4,
              layers,
              Optional.ofNullable(o.get("data")).map(JsonElement::getAsString)));
    }
    return out;
  }

  private static float[] floats(JsonArray a) {
    float[] f = new float[a.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = a.get(i).getAsFloat();
    }
    return f;
  }

  /**
   * Returns one fixture.
   *
   * @param file e.g. {@code mlp.onnx}
   * @return the fixture
   */
  public static Fixture get(String file) {
    return all().stream()
        .filter(f -> f.file().equals(file))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("No fixture " + file));
  }

  static Path copy(String file, Path dir) {
    Path target = dir.resolve(file);
    try (InputStream in = OnnxFixtures.class.getResourceAsStream(DIR + file)) {
      if (in == null) {
        throw new IllegalStateException("No fixture resource " + DIR + file);
      }
      Files.copy(in, target);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return target;
  }
}
