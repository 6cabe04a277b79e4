package dev.lowrank.bench;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.ConvFormChoice;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.format.ConvForm;
import dev.lowrank.format.LayerKind;
import dev.lowrank.io.InputFileException;
import dev.lowrank.io.TemporaryFiles;
import dev.lowrank.linalg.SvdMethod;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The convolution and attention targets on models nobody here wrote, with PyTorch as the judge:
 * torchvision's ResNet-18 with {@code --conv --ratio 0.5}, ViT-B/16 with {@code --rank 64}, and a
 * scripted {@code nn.TransformerEncoder} (2 layers, width 64) with {@code --rank 16}. Each model is
 * made by {@code make_conv_models.py} (Debian's torch and torchvision, default random init: no
 * pretrained weights are reachable offline), compressed through the Java API, and checked by {@code
 * conv_judge.py}: PyTorch loads the output, the factorized layers are the manifest's, each factor
 * pair's error against the Eckart-Young optimum of the kernel in its form, the logits against the
 * original with each kernel replaced by the product of its factors, and the parameter counts.
 */
public final class ModelTargets {

  /** Where lowrank-datasets ships the model maker and the judge. */
  private static final String SCRIPTS = "/dev/lowrank/datasets/torchscript/";

  private ModelTargets() {}

  /**
   * One model's figures.
   *
   * @param model the model
   * @param setting the CLI options it was compressed with
   * @param factorized the layers factorized
   * @param layers the layers of the kinds the setting compresses
   * @param forms how many convolutions took each form, e.g. {@code 12 channel, 8 spatial}
   * @param parametersOriginal parameters before
   * @param parametersCompressed parameters after
   * @param worstOptimumRatio the largest factor-pair error over its Eckart-Young optimum
   * @param logitDiff the largest logit difference against the reconstruction, relative
   * @param compressSeconds the time {@code Compressor.compress} took
   * @param problems what the judge found wrong (empty when every check passed)
   */
  public record Target(
      String model,
      String setting,
      int factorized,
      int layers,
      String forms,
      long parametersOriginal,
      long parametersCompressed,
      double worstOptimumRatio,
      double logitDiff,
      double compressSeconds,
      List<String> problems) {

    /**
     * Returns {@code parametersCompressed / parametersOriginal}.
     *
     * @return the share kept
     */
    public double share() {
      return (double) parametersCompressed / parametersOriginal;
    }
  }

  /**
   * All figures.
   *
   * @param targets one per model that ran
   * @param unavailable why a model could not run (no torchvision, ...)
   */
  public record Result(List<Target> targets, List<String> unavailable) {}

  private record Case(String model, String setting, CompressionSpec spec, LayerKind kinds) {}

  /**
   * Makes, compresses and judges the models.
   *
   * @param python the interpreter with torch and torchvision
   * @param quick the slim ViT instead of ViT-B/16 (a smoke run)
   * @return the figures
   * @throws IOException if a temporary directory or a compressed model cannot be written
   * @throws InputFileException if a model PyTorch made cannot be read
   */
  public static Result run(Path python, boolean quick) throws IOException, InputFileException {
    String vit = quick ? "vit" : "vit_b_16";
    List<Case> cases =
        List.of(
            new Case(
                "resnet18",
                "--conv --ratio 0.5 --svd exact",
                CompressionSpec.builder()
                    .setPolicy(RankPolicy.ratio(0.5))
                    .optConv(true)
                    .optConvForm(ConvFormChoice.AUTO)
                    .optSvd(SvdMethod.EXACT)
                    .build(),
                LayerKind.CONV2D),
            new Case(
                vit,
                "--rank 64 --svd exact",
                CompressionSpec.builder()
                    .setPolicy(RankPolicy.rank(64))
                    .optSvd(SvdMethod.EXACT)
                    .build(),
                LayerKind.LINEAR),
            new Case(
                "encoder",
                "--rank 16 --svd exact",
                CompressionSpec.builder()
                    .setPolicy(RankPolicy.rank(16))
                    .optSvd(SvdMethod.EXACT)
                    .build(),
                LayerKind.LINEAR));
    List<Target> targets = new ArrayList<>();
    List<String> unavailable = new ArrayList<>();
    Path dir = TemporaryFiles.createDirectory("lowrank-model-targets");
    try {
      Path make = extract(dir, "make_conv_models.py");
      Path judge = extract(dir, "conv_judge.py");
      Path models = dir.resolve("models");
      List<String> names = new ArrayList<>();
      cases.forEach(c -> names.add(c.model()));
      List<String> args = new ArrayList<>(List.of(make.toString(), models.toString()));
      args.addAll(names);
      Optional<String> failure = python(python, args);
      if (failure.isPresent()) {
        unavailable.add("the models could not be made: " + failure.get());
        return new Result(targets, unavailable);
      }
      JsonObject shapes =
          JsonParser.parseString(Files.readString(models.resolve("models.json"))).getAsJsonObject();
      List<Map<String, Object>> judged = new ArrayList<>();
      List<CompressionResult> results = new ArrayList<>();
      List<Double> seconds = new ArrayList<>();
      for (Case c : cases) {
        Path in = models.resolve(c.model() + ".pt");
        Path out = dir.resolve(c.model() + "-compressed.pt");
        long start = System.nanoTime();
        CompressionResult r = Compressor.compress(in, out, c.spec());
        seconds.add((System.nanoTime() - start) / 1e9);
        results.add(r);
        List<Integer> shape = new ArrayList<>();
        for (JsonElement e : shapes.getAsJsonObject(c.model()).getAsJsonArray("shape")) {
          shape.add(e.getAsInt());
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", c.model());
        spec.put("output", out.toString());
        spec.put("original", in.toString());
        spec.put("shape", shape);
        spec.put("manifest", r.toJson());
        spec.put("tolerance", 1e-4);
        spec.put("optimum", 1.005);
        judged.add(spec);
      }
      Path specFile =
          Files.writeString(dir.resolve("spec.json"), new Gson().toJson(Map.of("cases", judged)));
      Path resultFile = dir.resolve("result.json");
      Optional<String> judgeFailure =
          python(python, List.of(judge.toString(), specFile.toString(), resultFile.toString()));
      if (judgeFailure.isPresent()) {
        unavailable.add("the judge could not run: " + judgeFailure.get());
        return new Result(targets, unavailable);
      }
      JsonObject verdicts = JsonParser.parseString(Files.readString(resultFile)).getAsJsonObject();
      for (int i = 0; i < cases.size(); i++) {
        Case c = cases.get(i);
        CompressionResult r = results.get(i);
        JsonObject v = verdicts.getAsJsonArray("results").get(i).getAsJsonObject();
        List<String> problems = new ArrayList<>();
        v.getAsJsonArray("problems").forEach(p -> problems.add(p.getAsString()));
        int layers = 0;
        int channel = 0;
        int spatial = 0;
        for (LayerResult l : r.layers()) {
          if (l.layer().kind() == c.kinds() || l.layer().kind() == LayerKind.LINEAR) {
            layers++;
          }
          if (l.factorized() && l.form().isPresent()) {
            if (l.form().get() == ConvForm.CHANNEL) {
              channel++;
            } else {
              spatial++;
            }
          }
        }
        targets.add(
            new Target(
                c.model(),
                c.setting(),
                r.factorizedLayers().size(),
                layers,
                channel + spatial == 0 ? "-" : channel + " channel, " + spatial + " spatial",
                r.parametersOriginal(),
                r.parametersCompressed(),
                number(v, "worstOptimumRatio"),
                number(v, "logitDiff"),
                seconds.get(i),
                problems));
      }
      return new Result(targets, unavailable);
    } finally {
      TemporaryFiles.delete(dir);
    }
  }

  private static double number(JsonObject o, String key) {
    return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsDouble() : Double.NaN;
  }

  private static Path extract(Path dir, String name) throws IOException {
    try (InputStream in = ModelTargets.class.getResourceAsStream(SCRIPTS + name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the classpath");
      }
      Path out = dir.resolve(name);
      Files.copy(in, out);
      return out;
    }
  }

  private static Optional<String> python(Path python, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(python.toString()));
    cmd.addAll(args);
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      return Optional.of("cannot run " + python + ": " + e.getMessage());
    }
    p.getOutputStream().close();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(3600, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return Optional.of(python + " timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      return Optional.of("interrupted");
    }
    if (p.exitValue() != 0) {
      String last = log.strip().lines().reduce((a, b) -> b).orElse("no message");
      return Optional.of(python + " exited with " + p.exitValue() + ": " + last);
    }
    return Optional.empty();
  }

  /**
   * Renders the figures as a table.
   *
   * @param r the figures
   * @return the text
   */
  public static String table(Result r) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "Models nobody here wrote, judged by PyTorch (random init; torch and torchvision from"
            + " Debian)\n\n");
    sb.append(
        String.format(
            Locale.ROOT,
            "%-9s %-30s %-11s %-22s %-32s %-9s %-10s %-8s %s%n",
            "model",
            "setting",
            "factorized",
            "forms",
            "parameters",
            "vs EY",
            "logits",
            "time",
            "verdict"));
    for (Target t : r.targets()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%-9s %-30s %-11s %-22s %-32s %-9s %-10s %-8s %s%n",
              t.model(),
              t.setting(),
              t.factorized() + " of " + t.layers(),
              t.forms(),
              String.format(
                  Locale.ROOT,
                  "%,d -> %,d (%.1f%%)",
                  t.parametersOriginal(),
                  t.parametersCompressed(),
                  100 * t.share()),
              String.format(Locale.ROOT, "%.5fx", t.worstOptimumRatio()),
              String.format(Locale.ROOT, "%.2g", t.logitDiff()),
              String.format(Locale.ROOT, "%.1f s", t.compressSeconds()),
              t.problems().isEmpty() ? "ok" : String.join("; ", t.problems())));
    }
    sb.append(
        "\nvs EY: the worst factor pair's ||W - BA||_F over the Eckart-Young optimum of the kernel"
            + " in its form (target <= 1.005x); logits: the largest difference from the original"
            + " with each kernel replaced by its factors' product, relative to the largest logit"
            + " (target <= 1e-4); PyTorch loads every output.\n");
    for (String u : r.unavailable()) {
      sb.append("unavailable: ").append(u).append('\n');
    }
    return sb.toString();
  }

  /**
   * Renders the figures as JSON.
   *
   * @param r the figures
   * @return the document
   */
  public static String json(Result r) {
    Gson gson =
        new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();
    return gson.toJson(r);
  }
}
