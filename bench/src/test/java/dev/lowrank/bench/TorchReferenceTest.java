package dev.lowrank.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class TorchReferenceTest {

  private static final Path PYTHON = Path.of("/usr/bin/python3");

  @Test
  void parsesTheScriptOutput() {
    String json =
        "{\"torch\": \"1.13.0\", \"threads\": 2, \"rank\": 8, \"svd\": ["
            + "{\"shape\": [64, 32], \"exact_s\": 0.5, \"lowrank_s\": 0.25, \"err_lowrank\": 1.01},"
            + "{\"shape\": [32, 64], \"lowrank_s\": 0.125, \"err_lowrank\": 1.02}]}";
    TorchReference reference =
        TorchReference.parse(json, List.of(new Shape(64, 32, 3), new Shape(32, 64, 1)));
    assertEquals("1.13.0", reference.torchVersion());
    assertEquals(2, reference.threads());
    TorchReference.Row tall = reference.row(new Shape(64, 32, 1));
    assertEquals(3, tall.shape().count());
    assertEquals(0.5, tall.exactSeconds().getAsDouble());
    assertTrue(reference.row(new Shape(32, 64, 1)).exactSeconds().isEmpty());
    assertEquals(1.02, reference.row(new Shape(32, 64, 1)).lowrankErrorRatio());
  }

  @Test
  void malformedOutputIsReportedWithTheOutput() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> TorchReference.parse("{\"torch\": \"1\"}", List.of()));
    assertTrue(e.getMessage().contains("{\"torch\": \"1\"}"), e.getMessage());
  }

  @Test
  void missingInterpreterMakesTheReferenceUnavailable() {
    TorchReference.Outcome outcome =
        TorchReference.run(
            Path.of("/nonexistent/python3"), List.of(new Shape(8, 8, 1)), List.of(), 2, 1, 1, 1);
    assertTrue(outcome.reference().isEmpty());
    assertTrue(outcome.unavailable().orElseThrow().contains("/nonexistent/python3"));
  }

  @Test
  void scriptRunsUnderPythonWithTorchAndMeasuresEveryShape() throws Exception {
    boolean hasTorch = hasTorch();
    if ("true".equals(System.getenv("CI"))) {
      assertTrue(hasTorch, "CI needs /usr/bin/python3 with torch (apt-get install python3-torch)");
    }
    Assumptions.assumeTrue(hasTorch, "/usr/bin/python3 has no torch; the reference is optional");
    List<Shape> shapes = List.of(new Shape(64, 48, 1), new Shape(40, 96, 1));
    TorchReference.Outcome outcome =
        TorchReference.run(PYTHON, shapes, List.of(shapes.get(0)), 8, 1, 1, 1);
    TorchReference reference = outcome.reference().orElseThrow(() -> new AssertionError(outcome));
    assertEquals(2, reference.shapes().size());
    assertTrue(reference.row(shapes.get(0)).exactSeconds().isPresent());
    assertTrue(reference.row(shapes.get(1)).exactSeconds().isEmpty());
    for (TorchReference.Row row : reference.shapes()) {
      // torch.svd_lowrank is never better than the Eckart-Young optimum.
      assertTrue(row.lowrankErrorRatio() >= 1 - 1e-4, row.toString());
      assertTrue(row.lowrankSeconds() > 0, row.toString());
    }
  }

  private static boolean hasTorch() throws IOException, InterruptedException {
    if (!Files.isExecutable(PYTHON)) {
      return false;
    }
    Process process =
        new ProcessBuilder(PYTHON.toString(), "-c", "import torch")
            .redirectErrorStream(true)
            .start();
    process.getInputStream().readAllBytes();
    return process.waitFor(120, TimeUnit.SECONDS) && process.exitValue() == 0;
  }
}
