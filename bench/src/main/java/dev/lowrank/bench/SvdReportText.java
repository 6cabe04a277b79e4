package dev.lowrank.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.lowrank.bench.SvdReport.Check;
import dev.lowrank.bench.SvdReport.EnergyRank;
import dev.lowrank.bench.SvdReport.Result;
import dev.lowrank.bench.SvdReport.ShapeResult;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/** Renders an {@link SvdReport.Result} as a table or as JSON. */
public final class SvdReportText {

  /**
   * The version of the JSON layout; bump it when fields change meaning. (Version 1 gained the
   * {@code auto_*} shape fields and {@code default_init} without a bump: additions only.)
   */
  public static final int JSON_VERSION = 1;

  private SvdReportText() {}

  /**
   * Returns the report as a plain-text table.
   *
   * @param result the figures
   * @return several lines of text
   */
  public static String table(Result result) {
    StringBuilder out = new StringBuilder();
    Machine machine = result.machine();
    SvdReport.Options options = result.options();
    line(
        out,
        "lowrank SVD report: rank %d, trained-like W = U diag(10 i^-0.7) V^T, median of %d runs"
            + " (exact SVD: %d)",
        options.rank(),
        options.runs(),
        options.exactRuns());
    line(
        out,
        "machine: %s, %d cores, OpenBLAS threads %d, load %s -> %s, %s",
        machine.cpu(),
        machine.cores(),
        machine.blasThreads(),
        load(machine.loadBefore()),
        load(machine.loadAfter()),
        machine.java());
    Optional<TorchReference> torch = result.torch();
    line(
        out,
        "torch: %s",
        torch
            .map(
                t ->
                    t.torchVersion()
                        + ", "
                        + t.threads()
                        + " threads"
                        + (options.torchThreads() == 0
                            ? " (torch's defaults; its OpenBLAS picks its own thread count)"
                            : ""))
            .orElse("not run, " + result.torchUnavailable().orElse("")));
    out.append('\n');
    line(
        out,
        "%-12s %5s | %9s %9s | %10s %8s | %10s %8s | %10s %8s | %10s %8s",
        "shape",
        "count",
        "exact s",
        "torch s",
        "rand s",
        "err/opt",
        "auto s",
        "err/opt",
        "tset s",
        "err/opt",
        "lowrank s",
        "err/opt");
    for (ShapeResult row : result.bert()) {
      shapeRow(out, row, torch);
    }
    line(
        out,
        "%-12s %5s | %9s %9s | %10s %8s | %10s %8s | %10s %8s | %10s %8s",
        "BERT layer",
        "sum",
        seconds(SvdReport.layerTotal(result.bert(), ShapeResult::exactSeconds)),
        torch.map(t -> seconds(torchTotal(result.bert(), t, true))).orElse("-"),
        seconds(SvdReport.layerTotal(result.bert(), ShapeResult::randomizedSeconds)),
        "",
        seconds(SvdReport.layerTotal(result.bert(), ShapeResult::autoSeconds)),
        "",
        seconds(SvdReport.layerTotal(result.bert(), ShapeResult::torchSettingsSeconds)),
        "",
        torch.map(t -> seconds(torchTotal(result.bert(), t, false))).orElse("-"),
        "");
    shapeRow(out, result.square(), torch);
    line(
        out,
        "(rand: SvdBackends.randomized; auto: SvdBackends.auto, the default, timed in turn with"
            + " rand; tset: ours with torch's settings, q=r+10, 6 passes, QR;"
            + " lowrank: torch.svd_lowrank(q=r+10, niter=2); torch s: torch.linalg.svd)");
    out.append('\n');
    line(
        out,
        "PyTorch's default initialization, U(-1/sqrt(m), 1/sqrt(m)) (flat spectra), rank %d:",
        SvdReport.DEFAULT_INIT_RANK);
    line(
        out,
        "%-12s %9s | %10s %8s | %10s %8s  %s",
        "shape",
        "exact s",
        "rand s",
        "err/opt",
        "auto s",
        "err/opt",
        "auto ran");
    for (SvdReport.FlatResult row : result.flat()) {
      line(
          out,
          "%-12s %9s | %10s %8.4f | %10s %8.4f  %s",
          row.shape().label(),
          seconds(row.exactSeconds()),
          seconds(row.randomizedSeconds()),
          row.randomizedErrorRatio(),
          seconds(row.autoSeconds()),
          row.autoErrorRatio(),
          row.autoMethod());
    }
    out.append('\n');
    line(out, "energy targets, fixed-precision randomized against the exact rank:");
    line(
        out,
        "%-12s %8s %10s %11s %10s  %s",
        "shape",
        "fraction",
        "exact rank",
        "chosen rank",
        "seconds",
        "method");
    for (EnergyRank row : result.energy()) {
      line(
          out,
          "%-12s %8.2f %10d %11d %10s  %s",
          row.shape().label(),
          row.fraction(),
          row.exactRank(),
          row.randomizedRank(),
          seconds(row.randomizedSeconds()),
          row.method());
    }
    out.append('\n');
    line(out, "%-34s %9s %8s  %s", "ratio", "value", "target", "");
    for (Check check : result.checks()) {
      line(
          out,
          "%-34s %9.4f %8s  %s   %s",
          check.name(),
          check.value(),
          "<= " + check.target(),
          check.met() ? "met" : "MISSED",
          check.description());
    }
    return out.toString();
  }

  /**
   * Returns the report as JSON (version {@link #JSON_VERSION}).
   *
   * @param result the figures
   * @return a JSON object
   */
  public static String json(Result result) {
    JsonObject root = new JsonObject();
    root.addProperty("version", JSON_VERSION);
    JsonObject machine = new JsonObject();
    Machine m = result.machine();
    machine.addProperty("cpu", m.cpu());
    machine.addProperty("cores", m.cores());
    machine.addProperty("blas_threads", m.blasThreads());
    machine.addProperty("java", m.java());
    m.loadBefore().ifPresent(v -> machine.addProperty("load_before", v));
    m.loadAfter().ifPresent(v -> machine.addProperty("load_after", v));
    root.add("machine", machine);
    JsonObject options = new JsonObject();
    options.addProperty("rank", result.options().rank());
    options.addProperty("runs", result.options().runs());
    options.addProperty("exact_runs", result.options().exactRuns());
    options.addProperty("seed", result.options().seed());
    options.addProperty("torch_threads", result.options().torchThreads());
    root.add("options", options);
    JsonArray shapes = new JsonArray();
    for (ShapeResult row : result.bert()) {
      shapes.add(shapeJson(row, result.torch()));
    }
    shapes.add(shapeJson(result.square(), result.torch()));
    root.add("shapes", shapes);
    JsonArray energy = new JsonArray();
    for (EnergyRank row : result.energy()) {
      JsonObject e = new JsonObject();
      e.addProperty("shape", row.shape().label());
      e.addProperty("fraction", row.fraction());
      e.addProperty("exact_rank", row.exactRank());
      e.addProperty("chosen_rank", row.randomizedRank());
      e.addProperty("method", row.method());
      e.addProperty("seconds", row.randomizedSeconds());
      energy.add(e);
    }
    root.add("energy", energy);
    JsonArray flat = new JsonArray();
    for (SvdReport.FlatResult row : result.flat()) {
      JsonObject f = new JsonObject();
      f.addProperty("shape", row.shape().label());
      f.addProperty("rank", SvdReport.DEFAULT_INIT_RANK);
      f.addProperty("exact_s", row.exactSeconds());
      f.addProperty("randomized_s", row.randomizedSeconds());
      f.addProperty("randomized_err_ratio", row.randomizedErrorRatio());
      f.addProperty("auto_s", row.autoSeconds());
      f.addProperty("auto_err_ratio", row.autoErrorRatio());
      f.addProperty("auto_method", row.autoMethod());
      flat.add(f);
    }
    root.add("default_init", flat);
    result
        .torch()
        .ifPresent(
            t -> {
              JsonObject torch = new JsonObject();
              torch.addProperty("version", t.torchVersion());
              torch.addProperty("threads", t.threads());
              root.add("torch", torch);
            });
    result.torchUnavailable().ifPresent(reason -> root.addProperty("torch_unavailable", reason));
    JsonObject checks = new JsonObject();
    for (Check check : result.checks()) {
      JsonObject c = new JsonObject();
      c.addProperty("value", check.value());
      c.addProperty("target", check.target());
      c.addProperty("met", check.met());
      c.addProperty("description", check.description());
      checks.add(check.name(), c);
    }
    root.add("checks", checks);
    return new GsonBuilder().setPrettyPrinting().create().toJson(root);
  }

  private static JsonObject shapeJson(ShapeResult row, Optional<TorchReference> torch) {
    JsonObject o = new JsonObject();
    o.addProperty("shape", row.shape().label());
    o.addProperty("count", row.shape().count());
    o.addProperty("exact_s", row.exactSeconds());
    o.addProperty("randomized_s", row.randomizedSeconds());
    o.addProperty("randomized_err_ratio", row.randomizedErrorRatio());
    o.addProperty("auto_s", row.autoSeconds());
    o.addProperty("auto_err_ratio", row.autoErrorRatio());
    o.addProperty("auto_method", row.autoMethod());
    o.addProperty("torch_settings_s", row.torchSettingsSeconds());
    o.addProperty("torch_settings_err_ratio", row.torchSettingsErrorRatio());
    torch.ifPresent(
        t -> {
          TorchReference.Row r = t.row(row.shape());
          r.exactSeconds().ifPresent(v -> o.addProperty("torch_exact_s", v));
          o.addProperty("torch_lowrank_s", r.lowrankSeconds());
          o.addProperty("torch_lowrank_err_ratio", r.lowrankErrorRatio());
        });
    return o;
  }

  private static void shapeRow(StringBuilder out, ShapeResult row, Optional<TorchReference> torch) {
    Optional<TorchReference.Row> t = torch.map(r -> r.row(row.shape()));
    line(
        out,
        "%-12s %5d | %9s %9s | %10s %8.4f | %10s %8.4f | %10s %8.4f | %10s %8s",
        row.shape().label(),
        row.shape().count(),
        seconds(row.exactSeconds()),
        t.map(r -> seconds(r.exactSeconds())).orElse("-"),
        seconds(row.randomizedSeconds()),
        row.randomizedErrorRatio(),
        seconds(row.autoSeconds()),
        row.autoErrorRatio(),
        seconds(row.torchSettingsSeconds()),
        row.torchSettingsErrorRatio(),
        t.map(r -> seconds(r.lowrankSeconds())).orElse("-"),
        t.map(r -> String.format(Locale.ROOT, "%.4f", r.lowrankErrorRatio())).orElse("-"));
  }

  private static double torchTotal(List<ShapeResult> rows, TorchReference torch, boolean exact) {
    double total = 0;
    for (ShapeResult row : rows) {
      TorchReference.Row r = torch.row(row.shape());
      total +=
          (exact ? r.exactSeconds().orElse(Double.NaN) : r.lowrankSeconds()) * row.shape().count();
    }
    return total;
  }

  private static String seconds(double value) {
    return String.format(Locale.ROOT, "%.4f", value);
  }

  private static String seconds(OptionalDouble value) {
    return value.isPresent() ? seconds(value.getAsDouble()) : "-";
  }

  private static String load(Optional<Double> value) {
    return value.map(v -> String.format(Locale.ROOT, "%.2f", v)).orElse("?");
  }

  private static void line(StringBuilder out, String format, Object... args) {
    out.append(String.format(Locale.ROOT, format, args)).append('\n');
  }
}
