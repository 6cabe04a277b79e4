package dev.lowrank.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.SampleShape;
import dev.lowrank.datasets.Digits;
import dev.lowrank.format.onnx.OnnxFixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data-aware compression of an ONNX file and then its evaluation, in one fresh JVM, as the zoo's
 * {@code minilm} example and any Java caller do it: the calibration runs the model through ONNX
 * Runtime's Java API first, and DJL's OnnxRuntime engine must still load the compressed model
 * afterwards (it creates the process's one ONNX Runtime environment with thread options and refuses
 * to start when another exists). A fresh JVM, because in this module's test JVM another test has
 * usually started DJL's engine already.
 */
class OnnxCalibrationThenInferenceTest {

  @TempDir Path tmp;

  /**
   * The child process: calibrate and compress the digits MLP's ONNX export, then score the
   * compressed model through DJL.
   *
   * @param args the ONNX file, the output file
   * @throws Exception if either step fails (the child then exits 1)
   */
  public static void main(String[] args) throws Exception {
    Path model = Path.of(args[0]);
    Path out = Path.of(args[1]);
    Calibration calibration = Calibration.builder().setData(Digits.train()).optSamples(64).build();
    Compressor.compress(
        model,
        out,
        CompressionSpec.builder()
            .setPolicy(RankPolicy.rank(8))
            .optCalibration(calibration)
            .build());
    try (InferenceModel m = InferenceModel.load(out);
        InferenceSession s = m.newSession()) {
      Outputs o = s.run(new float[2 * 64], 2, SampleShape.of(64));
      System.out.println("scores per sample " + o.width());
    }
  }

  @Test
  void djlRunsTheModelAfterTheCalibrationInOneProcess() throws Exception {
    Path model = OnnxFixtures.get("mlp.onnx").copyTo(tmp);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Dai.djl.offline=true");
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=error");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(OnnxCalibrationThenInferenceTest.class.getName());
    cmd.add(model.toString());
    cmd.add(tmp.resolve("mlp-r8.onnx").toString());
    Path log = tmp.resolve("child.log");
    Process p =
        new ProcessBuilder(cmd)
            .directory(tmp.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the child did not finish");
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), output);
    assertTrue(output.contains("scores per sample 10"), output);
  }
}
