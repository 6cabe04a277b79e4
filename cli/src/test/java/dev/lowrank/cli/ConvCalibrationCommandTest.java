package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compress --conv --calibration} end to end on the bundled digits CNN: the convolutions are
 * calibrated on their input patches, the table shows their data errors and why {@code auto} took
 * its form, and the JSON report carries the same note per layer.
 */
class ConvCalibrationCommandTest {

  @TempDir Path tmp;

  @Test
  void convolutionsAreTruncatedOnTheDataAndTheReportSaysWhichForm() throws Exception {
    Path model = tmp.resolve("cnn_scripted.pt");
    try (InputStream in =
        getClass().getResourceAsStream("/dev/lowrank/datasets/torchscript/cnn_scripted.pt")) {
      Files.copy(in, model);
    }
    Path out = tmp.resolve("cnn4.pt");
    Path report = tmp.resolve("r.json");
    CliRun run =
        CliRun.of(
            "compress",
            "--model",
            model.toString(),
            "--out",
            out.toString(),
            "--conv",
            "--rank",
            "4",
            "--calibration",
            "digits",
            "--calibration-samples",
            "128",
            "--input-shape",
            "1,8,8",
            "--svd",
            "exact",
            "--report",
            report.toString());
    assertEquals(0, run.exitCode(), run.err());
    String conv2 = run.out().lines().filter(l -> l.startsWith("conv2 ")).findFirst().orElseThrow();
    assertTrue(conv2.contains("chosen over spatial (data error "), run.out());
    assertTrue(run.out().contains("128 samples, 128 tokens"), "images, not patches: " + run.out());
    JsonObject json = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
    int convs = 0;
    for (JsonElement e : json.getAsJsonArray("layers")) {
      JsonObject l = e.getAsJsonObject();
      if (!l.has("kind") || !l.get("kind").getAsString().equals("conv2d")) {
        continue;
      }
      JsonObject data = l.getAsJsonObject("data");
      assertEquals("whitened", data.get("method").getAsString(), l.toString());
      assertEquals(
          data.get("optimalError").getAsDouble(),
          data.get("relativeError").getAsDouble(),
          1e-4,
          l.toString());
      assertTrue(data.get("note").getAsString().startsWith("chosen over"), l.toString());
      convs++;
    }
    assertEquals(2, convs);
  }
}
