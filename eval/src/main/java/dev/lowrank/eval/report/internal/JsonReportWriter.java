package dev.lowrank.eval.report.internal;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.lowrank.compress.LayerResult;
import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.accuracy.Fidelity;
import dev.lowrank.eval.accuracy.TradeoffPoint;
import dev.lowrank.eval.data.DataInfo;
import dev.lowrank.eval.gate.GateCheck;
import dev.lowrank.eval.gate.GateVerdict;
import dev.lowrank.eval.latency.LatencyComparison;
import dev.lowrank.eval.latency.LatencyStats;
import dev.lowrank.eval.model.ModelInfo;
import dev.lowrank.eval.params.LayerParameters;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.report.EvalReport;
import dev.lowrank.eval.report.ReportWriter;
import dev.lowrank.eval.sweep.SearchCriterion;
import dev.lowrank.eval.sweep.SearchResult;
import dev.lowrank.eval.sweep.SweepPoint;
import dev.lowrank.eval.sweep.SweepResult;
import java.util.Optional;
import java.util.OptionalDouble;

/** Writes reports as JSON; the schema is documented in {@code eval/REPORT-SCHEMA.md}. */
public final class JsonReportWriter implements ReportWriter {

  /** The schema version of evaluation reports; bumped on any incompatible change. */
  public static final int SCHEMA_VERSION = 1;

  private static final Gson GSON =
      new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create();

  @Override
  public String format() {
    return "json";
  }

  @Override
  public String render(EvalReport r) {
    JsonObject root = header("lowrank-eval-report", r.toolVersion());
    JsonObject models = new JsonObject();
    models.add("original", model(r.original()));
    models.add("compressed", model(r.compressed()));
    root.add("models", models);
    root.add("data", data(r.data()));

    JsonObject params = new JsonObject();
    params.addProperty("original", r.params().original());
    params.addProperty("compressed", r.params().compressed());
    params.add("ratio", number(r.params().ratio()));
    params.addProperty("source", r.params().source());
    JsonArray layers = new JsonArray();
    for (LayerParameters l : r.params().layers()) {
      JsonObject o = new JsonObject();
      o.addProperty("name", l.name());
      o.add("shape", shape(l.layer().outFeatures(), l.layer().inFeatures()));
      o.addProperty("kind", l.layer().kind().label());
      o.add(
          "form",
          l.form().<JsonElement>map(f -> new JsonPrimitive(f.label())).orElse(JsonNull.INSTANCE));
      o.addProperty("original", l.original());
      o.add(
          "compressed",
          l.compressed().isPresent()
              ? new JsonPrimitive(l.compressed().getAsLong())
              : JsonNull.INSTANCE);
      o.add("ratio", number(l.ratio()));
      o.add(
          "rank",
          l.rank().isPresent() ? new JsonPrimitive(l.rank().getAsInt()) : JsonNull.INSTANCE);
      o.add("note", l.note().<JsonElement>map(JsonPrimitive::new).orElse(JsonNull.INSTANCE));
      layers.add(o);
    }
    params.add("layers", layers);
    root.add("params", params);

    JsonObject size = new JsonObject();
    size.addProperty("original", r.original().sizeBytes());
    size.addProperty("compressed", r.compressed().sizeBytes());
    size.add(
        "ratio",
        number(
            r.original().sizeBytes() == 0
                ? 1
                : (double) r.compressed().sizeBytes() / r.original().sizeBytes()));
    root.add("size", size);

    root.add(
        "accuracy",
        r.accuracy().<JsonElement>map(JsonReportWriter::accuracy).orElse(JsonNull.INSTANCE));
    root.add("fidelity", fidelity(r.fidelity()));
    root.addProperty("outputs", r.outputs());
    root.add("pooling", pooling(r.pooling()));

    JsonObject latency = new JsonObject();
    latency.addProperty("unit", "ms");
    JsonArray batches = new JsonArray();
    for (LatencyComparison c : r.latency()) {
      JsonObject o = new JsonObject();
      o.addProperty("batchSize", c.batchSize());
      o.add("original", stats(c.original()));
      o.add("compressed", stats(c.compressed()));
      o.add("speedup", number(c.speedup()));
      batches.add(o);
    }
    latency.add("batches", batches);
    root.add("latency", latency);

    JsonObject threads = new JsonObject();
    threads.addProperty("intraOp", r.threads().intraOp());
    threads.addProperty("interOp", r.threads().interOp());
    root.add("threads", threads);

    JsonArray spectra = new JsonArray();
    for (LayerSpectrum s : r.spectra()) {
      JsonObject o = new JsonObject();
      o.addProperty("name", s.layer().name());
      o.add("shape", shape(s.layer().outFeatures(), s.layer().inFeatures()));
      JsonArray values = new JsonArray();
      for (float v : s.singularValues()) {
        values.add(number(v));
      }
      o.add("singularValues", values);
      spectra.add(o);
    }
    root.add("spectra", spectra);

    JsonArray tradeoff = new JsonArray();
    for (TradeoffPoint p : r.tradeoff()) {
      JsonObject o = new JsonObject();
      o.addProperty("label", p.label());
      o.addProperty("params", p.parameters());
      o.add("accuracy", optional(p.accuracy()));
      o.add("agreement", number(p.agreement()));
      o.addProperty("original", p.original());
      tradeoff.add(o);
    }
    root.add("tradeoff", tradeoff);
    root.add("gate", r.gate().<JsonElement>map(JsonReportWriter::gate).orElse(JsonNull.INSTANCE));
    JsonArray warnings = new JsonArray();
    r.warnings().forEach(warnings::add);
    root.add("warnings", warnings);
    return GSON.toJson(root) + "\n";
  }

  @Override
  public String render(SweepResult s) {
    return GSON.toJson(sweep(s, "lowrank-sweep-report")) + "\n";
  }

  @Override
  public String render(SearchResult s) {
    JsonObject root = sweep(s.evaluated(), "lowrank-search-report");
    root.add("maxAccuracyDrop", number(s.maxAccuracyDrop()));
    JsonObject criterion = new JsonObject();
    if (s.criterion() instanceof SearchCriterion.MinFidelity f) {
      criterion.addProperty("kind", "min-fidelity");
      criterion.add("limit", number(f.limit()));
      criterion.addProperty("metric", f.metric().cliName());
    } else {
      criterion.addProperty("kind", "max-accuracy-drop");
      criterion.add("limit", number(s.maxAccuracyDrop()));
      criterion.add("metric", JsonNull.INSTANCE);
    }
    root.add("criterion", criterion);
    root.addProperty("strategy", s.strategy());
    root.add(
        "chosen", s.chosen().<JsonElement>map(JsonReportWriter::point).orElse(JsonNull.INSTANCE));
    root.addProperty("summary", s.summary());
    return GSON.toJson(root) + "\n";
  }

  private static JsonObject sweep(SweepResult s, String schema) {
    JsonObject root = header(schema, s.toolVersion());
    root.add("model", model(s.model()));
    root.add("data", data(s.data()));
    JsonObject original = new JsonObject();
    original.addProperty("params", s.originalParameters());
    original.add(
        "accuracy",
        s.originalAccuracy().<JsonElement>map(a -> number(a.top1())).orElse(JsonNull.INSTANCE));
    original.add(
        "top5",
        s.originalAccuracy().<JsonElement>map(a -> optional(a.top5())).orElse(JsonNull.INSTANCE));
    root.add("original", original);
    root.add("pooling", pooling(s.pooling()));
    JsonArray points = new JsonArray();
    for (SweepPoint p : s.points()) {
      points.add(point(p));
    }
    root.add("points", points);
    return root;
  }

  private static JsonObject point(SweepPoint p) {
    JsonObject o = new JsonObject();
    o.addProperty("setting", p.setting());
    o.addProperty("params", p.parameters());
    o.add("ratio", number(p.parameterRatio()));
    o.addProperty("sizeBytes", p.sizeBytes());
    o.add(
        "accuracy", p.accuracy().<JsonElement>map(a -> number(a.top1())).orElse(JsonNull.INSTANCE));
    o.add("top5", p.accuracy().<JsonElement>map(a -> optional(a.top5())).orElse(JsonNull.INSTANCE));
    o.add("drop", optional(p.drop()));
    o.add("fidelity", fidelity(p.fidelity()));
    JsonArray layers = new JsonArray();
    for (LayerResult l : p.compression().layers()) {
      JsonObject lo = new JsonObject();
      lo.addProperty("name", l.name());
      lo.add(
          "rank",
          l.rank().isPresent() ? new JsonPrimitive(l.rank().getAsInt()) : JsonNull.INSTANCE);
      lo.addProperty("params", l.parametersAfter());
      layers.add(lo);
    }
    o.add("layers", layers);
    return o;
  }

  private static JsonObject header(String schema, String toolVersion) {
    JsonObject root = new JsonObject();
    root.addProperty("schema", schema);
    root.addProperty("schemaVersion", SCHEMA_VERSION);
    root.addProperty("tool", "lowrank");
    root.addProperty("toolVersion", toolVersion);
    return root;
  }

  private static JsonObject model(ModelInfo m) {
    JsonObject o = new JsonObject();
    o.addProperty("path", m.path().toString());
    o.addProperty("format", m.format());
    o.addProperty("sizeBytes", m.sizeBytes());
    return o;
  }

  private static JsonObject data(DataInfo d) {
    JsonObject o = new JsonObject();
    o.addProperty("name", d.name());
    o.addProperty("path", d.path());
    o.addProperty("format", d.format());
    o.addProperty("samples", d.samples());
    o.addProperty("features", d.features());
    JsonArray shape = new JsonArray();
    for (long v : d.inputShape().dims()) {
      shape.add(v);
    }
    o.add("inputShape", shape);
    o.addProperty("labeled", d.labeled());
    o.add(
        "classes",
        d.classes().isPresent() ? new JsonPrimitive(d.classes().getAsInt()) : JsonNull.INSTANCE);
    o.addProperty("description", d.describe());
    return o;
  }

  private static JsonObject accuracy(AccuracyComparison a) {
    JsonObject o = new JsonObject();
    o.addProperty("unit", "fraction");
    o.add("original", number(a.original().top1()));
    o.add("compressed", number(a.compressed().top1()));
    o.add("drop", number(a.drop()));
    if (a.top5Drop().isPresent()) {
      JsonObject t5 = new JsonObject();
      t5.add("original", optional(a.original().top5()));
      t5.add("compressed", optional(a.compressed().top5()));
      t5.add("drop", optional(a.top5Drop()));
      o.add("top5", t5);
    } else {
      o.add("top5", JsonNull.INSTANCE);
    }
    o.addProperty("samples", a.original().samples());
    JsonObject correct = new JsonObject();
    correct.addProperty("original", a.original().top1Correct());
    correct.addProperty("compressed", a.compressed().top1Correct());
    o.add("correct", correct);
    return o;
  }

  private static JsonObject fidelity(Fidelity f) {
    JsonObject o = new JsonObject();
    o.addProperty("samples", f.samples());
    o.add("top1Agreement", number(f.top1Agreement()));
    o.add("relativeL2Error", number(f.relativeL2Error()));
    o.add("meanCosine", optional(f.meanCosine()));
    o.add("minCosine", optional(f.minCosine()));
    return o;
  }

  private static JsonElement pooling(Optional<Pooling> p) {
    return p.<JsonElement>map(v -> new JsonPrimitive(v.cliName())).orElse(JsonNull.INSTANCE);
  }

  private static JsonObject stats(LatencyStats s) {
    JsonObject o = new JsonObject();
    o.addProperty("iterations", s.iterations());
    o.add("p50Ms", number(s.p50Ms()));
    o.add("p95Ms", number(s.p95Ms()));
    o.add("meanMs", number(s.meanMs()));
    o.add("minMs", number(s.minMs()));
    o.add("stddevMs", number(s.stddevMs()));
    o.add("throughput", number(s.throughput()));
    return o;
  }

  private static JsonObject gate(GateVerdict v) {
    JsonObject o = new JsonObject();
    o.addProperty("passed", v.passed());
    JsonArray checks = new JsonArray();
    for (GateCheck c : v.checks()) {
      JsonObject co = new JsonObject();
      co.addProperty("name", c.name());
      co.addProperty("description", c.description());
      co.add("value", number(c.value()));
      co.add("limit", number(c.limit()));
      co.addProperty("passed", c.passed());
      co.add("margin", number(c.margin()));
      co.addProperty("message", c.message());
      checks.add(co);
    }
    o.add("checks", checks);
    return o;
  }

  private static JsonArray shape(int n, int m) {
    JsonArray a = new JsonArray();
    a.add(n);
    a.add(m);
    return a;
  }

  private static JsonElement number(double v) {
    return Double.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
  }

  private static JsonElement optional(OptionalDouble v) {
    return v.isPresent() ? number(v.getAsDouble()) : JsonNull.INSTANCE;
  }
}
