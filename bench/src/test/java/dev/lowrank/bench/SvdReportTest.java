package dev.lowrank.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.bench.SvdReport.Check;
import dev.lowrank.bench.SvdReport.EnergyRank;
import dev.lowrank.bench.SvdReport.ShapeResult;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SvdReportTest {

  private static final List<ShapeResult> BERT =
      List.of(
          new ShapeResult(
              Shape.BERT_BASE_LAYER.get(0), 0.10, 0.02, 1.003, 0.015, 1.013, 0.021, 1.003, "r"),
          new ShapeResult(
              Shape.BERT_BASE_LAYER.get(1), 0.30, 0.06, 1.004, 0.05, 1.012, 0.062, 1.004, "r"),
          new ShapeResult(
              Shape.BERT_BASE_LAYER.get(2), 0.20, 0.06, 1.002, 0.05, 1.012, 0.061, 1.002, "r"));
  private static final ShapeResult SQUARE =
      new ShapeResult(Shape.SQUARE_2048, 2.0, 0.08, 1.002, 0.07, 1.009, 0.081, 1.002, "r");
  private static final List<SvdReport.FlatResult> FLAT =
      List.of(
          new SvdReport.FlatResult(
              Shape.DEFAULT_INIT.get(0), 0.04, 0.005, 1.0088, 0.012, 1.0028, "randomized"),
          new SvdReport.FlatResult(
              Shape.DEFAULT_INIT.get(3), 0.3, 0.05, 1.0095, 0.2, 1.0041, "exact-fallback"));

  private static TorchReference torch(double lowrank) {
    return new TorchReference(
        "1.13",
        2,
        List.of(
            new TorchReference.Row(
                Shape.BERT_BASE_LAYER.get(0), OptionalDouble.of(0.09), lowrank, 1.013),
            new TorchReference.Row(
                Shape.BERT_BASE_LAYER.get(1), OptionalDouble.of(0.2), lowrank, 1.012),
            new TorchReference.Row(
                Shape.BERT_BASE_LAYER.get(2), OptionalDouble.of(0.3), lowrank, 1.012),
            new TorchReference.Row(Shape.SQUARE_2048, OptionalDouble.of(1.25), 0.1, 1.009)));
  }

  private static Map<String, Check> byName(List<Check> checks) {
    return checks.stream().collect(Collectors.toMap(Check::name, Function.identity()));
  }

  @Test
  void checksCompareTheLayerTotalsAndTheWorstError() {
    Map<String, Check> checks =
        byName(SvdReport.checks(SQUARE, BERT, FLAT, Optional.of(torch(0.02))));
    assertEquals(6, checks.size());
    // randomized total 4 * 0.02 + 0.06 + 0.06 = 0.20; exact total 4 * 0.1 + 0.3 + 0.2 = 0.9
    assertEquals(0.2 / 0.9, checks.get("bert_randomized_vs_exact").value(), 1e-12);
    assertTrue(checks.get("bert_randomized_vs_exact").met());
    // auto total 4 * 0.021 + 0.062 + 0.061 = 0.207
    assertEquals(0.207 / 0.9, checks.get("bert_auto_vs_exact").value(), 1e-12);
    assertEquals(1.004, checks.get("randomized_error_vs_optimum").value(), 1e-12);
    // The default-initialization rows count for auto only.
    assertEquals(1.0041, checks.get("auto_error_vs_optimum").value(), 1e-12);
    assertTrue(checks.get("auto_error_vs_optimum").met());
    assertEquals(2.0 / 1.25, checks.get("exact_vs_torch_2048").value(), 1e-12);
    // torch total 6 * 0.02 = 0.12 < 0.20: missed.
    assertEquals(0.2 / 0.12, checks.get("bert_randomized_vs_torch_lowrank").value(), 1e-12);
    assertFalse(checks.get("bert_randomized_vs_torch_lowrank").met());
  }

  @Test
  void withoutTorchOnlyOurOwnRatiosAreChecked() {
    Map<String, Check> checks = byName(SvdReport.checks(SQUARE, BERT, FLAT, Optional.empty()));
    assertEquals(
        java.util.Set.of(
            "randomized_error_vs_optimum",
            "auto_error_vs_optimum",
            "bert_randomized_vs_exact",
            "bert_auto_vs_exact"),
        checks.keySet());
  }

  @Test
  void tableAndJsonCarryTheFigures() {
    SvdReport.Options options = new SvdReport.Options(128, 5, 3, 2, 2, Optional.empty(), 42);
    Machine machine = new Machine("test cpu", 2, 2, "jvm", Optional.of(1.0), Optional.of(1.5));
    List<Check> checks = SvdReport.checks(SQUARE, BERT, FLAT, Optional.of(torch(0.1)));
    SvdReport.Result result =
        new SvdReport.Result(
            machine,
            options,
            SQUARE,
            BERT,
            List.of(
                new EnergyRank(
                    Shape.BERT_BASE_LAYER.get(0), 0.9, 66, 67, "randomized-fixed-precision", 0.03)),
            FLAT,
            Optional.of(torch(0.1)),
            Optional.empty(),
            checks);
    String table = SvdReportText.table(result);
    assertTrue(table.contains("test cpu, 2 cores"), table);
    assertTrue(table.contains("BERT layer"), table);
    assertTrue(table.contains("bert_randomized_vs_torch_lowrank"), table);
    assertTrue(table.contains("512x4608"), table);
    assertTrue(table.contains("exact-fallback"), table);
    JsonObject json = JsonParser.parseString(SvdReportText.json(result)).getAsJsonObject();
    assertEquals(SvdReportText.JSON_VERSION, json.get("version").getAsInt());
    assertEquals(4, json.getAsJsonArray("shapes").size());
    assertEquals(
        0.09,
        json.getAsJsonArray("shapes").get(0).getAsJsonObject().get("torch_exact_s").getAsDouble());
    assertEquals(
        67, json.getAsJsonArray("energy").get(0).getAsJsonObject().get("chosen_rank").getAsInt());
    assertEquals(
        1.0028,
        json.getAsJsonArray("default_init")
            .get(0)
            .getAsJsonObject()
            .get("auto_err_ratio")
            .getAsDouble(),
        1e-12);
    assertEquals(
        0.021, json.getAsJsonArray("shapes").get(0).getAsJsonObject().get("auto_s").getAsDouble());
    JsonObject check =
        json.getAsJsonObject("checks").getAsJsonObject("bert_randomized_vs_torch_lowrank");
    assertEquals(0.2 / 0.6, check.get("value").getAsDouble(), 1e-12);
    assertTrue(check.get("met").getAsBoolean());
  }

  @Test
  void commandLineIsParsedAndBadArgumentsRejected() {
    SvdReportCommand.Parsed parsed =
        SvdReportCommand.parse(
            new String[] {"--json", "--no-torch", "--threads", "1", "--runs", "3", "--rank", "64"});
    assertTrue(parsed.json());
    assertFalse(parsed.check());
    assertEquals(Optional.empty(), parsed.options().python());
    assertEquals(1, parsed.options().blasThreads());
    assertEquals(1, parsed.options().torchThreads());
    assertEquals(
        0, SvdReportCommand.parse(new String[] {"--torch-threads", "0"}).options().torchThreads());
    assertEquals(3, parsed.options().runs());
    assertEquals(64, parsed.options().rank());
    assertEquals(
        Optional.of(Path.of("/opt/py")),
        SvdReportCommand.parse(new String[] {"--python", "/opt/py"}).options().python());
    assertThrows(
        IllegalArgumentException.class, () -> SvdReportCommand.parse(new String[] {"--runs"}));
    assertThrows(
        IllegalArgumentException.class, () -> SvdReportCommand.parse(new String[] {"--runs", "x"}));
    assertThrows(
        IllegalArgumentException.class, () -> SvdReportCommand.parse(new String[] {"--fast"}));
    assertThrows(
        IllegalArgumentException.class,
        () -> SvdReportCommand.parse(new String[] {"--threads", "0"}));
  }
}
