package dev.lowrank.format.torchscript;

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

/**
 * The TorchScript models trained on the digits set that lowrank-datasets ships (made by
 * datasets/src/main/python/make_torchscript_fixtures.py), with the golden values PyTorch reported
 * for them in fixtures.json.
 */
public final class TorchScriptFixtures {

  private static final String DIR = "/dev/lowrank/datasets/torchscript/";

  /**
   * One golden linear layer.
   *
   * @param name the named_modules() name
   * @param outFeatures n
   * @param inFeatures m
   * @param bias whether it has a bias
   * @param weightChecksum {@code sum_ij W[i, j] (i + 1) (j + 2)}
   */
  public record FixtureLayer(
      String name, int outFeatures, int inFeatures, boolean bias, double weightChecksum) {}

  /**
   * One fixture.
   *
   * @param file the resource file name
   * @param model mlp, cnn, transformer or edge
   * @param kind scripted or traced
   * @param inputShape the shape of one sample
   * @param testAccuracy the accuracy PyTorch measured on the test split
   * @param parameters sum(p.numel() for p in model.parameters())
   * @param layers the nn.Linear modules in named_modules() order
   */
  public record Fixture(
      String file,
      String model,
      String kind,
      int[] inputShape,
      double testAccuracy,
      long parameters,
      List<FixtureLayer> layers) {

    /**
     * Copies the model file into a directory.
     *
     * @param dir the directory
     * @return the copy
     */
    public Path copyTo(Path dir) {
      return TorchScriptFixtures.copy(file, dir);
    }

    @Override
    public String toString() {
      return file;
    }
  }

  private TorchScriptFixtures() {}

  /**
   * Returns the layers that are {@code nn.Linear} modules, the ones fixtures.json lists: not the
   * convolutions and attention projections lowrank lists too.
   *
   * @param layers a model's layers
   * @return its linear modules, in order
   */
  public static List<dev.lowrank.format.Layer> linearModules(
      List<dev.lowrank.format.Layer> layers) {
    return layers.stream()
        .filter(l -> l.kind() == dev.lowrank.format.LayerKind.LINEAR)
        .filter(l -> !l.name().matches(".*\\.in_proj_[qkv]"))
        .toList();
  }

  /**
   * Returns every fixture, in fixtures.json order.
   *
   * @return the fixtures
   */
  public static List<Fixture> all() {
    JsonObject root;
    try (InputStream in = resource("fixtures.json")) {
      root =
          JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
              .getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Fixture> out = new ArrayList<>();
    for (JsonElement el : root.getAsJsonArray("models")) {
      JsonObject o = el.getAsJsonObject();
      JsonArray shape = o.getAsJsonArray("inputShape");
      int[] s = new int[shape.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = shape.get(i).getAsInt();
      }
      List<FixtureLayer> layers = new ArrayList<>();
      for (JsonElement l : o.getAsJsonArray("linearLayers")) {
        JsonObject lo = l.getAsJsonObject();
        layers.add(
            new FixtureLayer(
                lo.get("name").getAsString(),
                lo.get("outFeatures").getAsInt(),
                lo.get("inFeatures").getAsInt(),
                lo.get("bias").getAsBoolean(),
                lo.get("weightChecksum").getAsDouble()));
      }
      out.add(
          new Fixture(
              o.get("file").getAsString(),
              o.get("model").getAsString(),
              o.get("kind").getAsString(),
              s,
              o.get("testAccuracy").getAsDouble(),
              o.get("parameters").getAsLong(),
              layers));
    }
    return out;
  }

  /**
   * Returns one fixture.
   *
   * @param file e.g. {@code mlp_scripted.pt}
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
    try (InputStream in = resource(file)) {
      Files.copy(in, target);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return target;
  }

  private static InputStream resource(String name) throws IOException {
    InputStream in = TorchScriptFixtures.class.getResourceAsStream(DIR + name);
    if (in == null) {
      throw new IOException("Missing test resource " + DIR + name + " (lowrank-datasets)");
    }
    return in;
  }
}
