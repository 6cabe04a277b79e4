package dev.lowrank.compress.internal;

import dev.lowrank.compress.Calibration;
import dev.lowrank.compress.CalibrationSummary;
import dev.lowrank.data.DataFileException;
import dev.lowrank.data.Tensor;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelRunner;
import dev.lowrank.format.SourceModel;
import dev.lowrank.io.InputFileException;
import dev.lowrank.linalg.GramAccumulator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Runs a model over calibration data and accumulates each layer's input statistics ({@link
 * GramAccumulator}): one pass over the data, the model run once per batch. A linear layer's rows
 * are its input's rows; a convolution's are its input's patches ({@link LayerRows}, {@link
 * PatchMatrix}), so its Gram matrix is that of {@code C_in kh kw} patch vectors and whitens its
 * channel form.
 *
 * <p><b>Shared inputs.</b> A probe run on the first two samples finds the layers fed the same
 * tensor (query, key and value of an attention block: identical inputs, each layer called once;
 * convolutions only when their kernels, strides, paddings and dilations agree too); they share one
 * statistic, accumulated once. On every later batch each follower's input is compared with its
 * leader's; should one ever differ, the follower gets statistics of its own from then on (exactly:
 * the leader's are added at the end of each batch).
 *
 * <p><b>Padding.</b> When the batch has a mask input (by default {@code attention_mask}), the
 * positions where it is 0 are left out of the statistics of every layer whose input has the mask's
 * shape as its leading axes (per-token layers); other layers (a pooler on {@code [batch, hidden]})
 * see every row. The mask never applies to convolutions.
 *
 * <p>Memory: the accumulators (after sharing) plus one batch's inputs of the layers that share; a
 * convolution's patches are unfolded a bounded chunk at a time ({@link PatchMatrix#CHUNK_VALUES}).
 */
final class CalibrationCapture {

  /** The samples of the probe run that finds shared inputs. */
  static final int PROBE_SAMPLES = 2;

  private final List<Layer> layers;
  private final Map<String, Layer> byName = new LinkedHashMap<>();
  private final boolean gram;
  private CalibrationBatches batches;

  /** A group while it is being accumulated. */
  private static final class Acc {
    final List<String> layers = new ArrayList<>();
    GramAccumulator stats;

    Acc(String leader, GramAccumulator stats) {
      layers.add(leader);
      this.stats = stats;
    }
  }

  private final Map<String, Acc> groupOf = new LinkedHashMap<>();
  private final List<Acc> groups = new ArrayList<>();
  private final List<String> callOrder = new ArrayList<>();

  private CalibrationCapture(List<Layer> layers, boolean gram) {
    this.layers = layers;
    this.gram = gram;
    for (Layer l : layers) {
      byName.put(l.name(), l);
    }
  }

  /**
   * Captures the statistics of some layers' inputs.
   *
   * @param model the model
   * @param layers its dense layers to calibrate
   * @param calibration the data
   * @param gram whether to accumulate Gram matrices (else only the mean absolute inputs)
   * @return the statistics
   * @throws InputFileException if the model cannot be run or the data does not fit it
   */
  static CalibrationStatistics capture(
      SourceModel model, List<Layer> layers, Calibration calibration, boolean gram)
      throws InputFileException {
    return new CalibrationCapture(layers, gram).run(model, calibration);
  }

  private CalibrationStatistics run(SourceModel model, Calibration calibration)
      throws InputFileException {
    Set<String> names = new LinkedHashSet<>(byName.keySet());
    try (ModelRunner runner = model.runner(names)) {
      batches = CalibrationBatches.open(calibration, runner.inputNames(), runner.sampleShape());
      probe(runner);
      checkMemory(model);
      long tokens = 0;
      for (List<Tensor> batch : batches.batches()) {
        tokens += accumulate(runner, batch);
      }
      List<CalibrationStatistics.Group> done = new ArrayList<>();
      for (Acc a : groups) {
        if (a.stats.rows() == 0) {
          continue;
        }
        if (a.stats.hasGram() && !a.stats.gram().isFinite()) {
          throw new DataFileException(
              batches.source(),
              "the model computes NaN or infinite values from the calibration data (the input of"
                  + " layer "
                  + a.layers.get(0)
                  + ")");
        }
        done.add(new CalibrationStatistics.Group(List.copyOf(a.layers), a.stats));
      }
      List<String> reached = new ArrayList<>();
      done.forEach(g -> reached.addAll(g.layers()));
      List<String> notReached =
          layers.stream().map(Layer::name).filter(n -> !reached.contains(n)).toList();
      List<String> order = callOrder.stream().filter(reached::contains).toList();
      CalibrationSummary summary =
          new CalibrationSummary(
              batches.source().getFileName() == null
                  ? batches.source().toString()
                  : batches.source().getFileName().toString(),
              batches.sha256(),
              batches.samples(),
              tokens,
              batches.mask(),
              CalibrationStatistics.shared(done),
              notReached);
      return new CalibrationStatistics(done, order, summary, batches);
    } catch (ModelFileException e) {
      throw asDataProblem(model, e);
    }
  }

  /** A model that fails on the calibration data is a problem with the data (its names, shapes). */
  private InputFileException asDataProblem(SourceModel model, ModelFileException e) {
    if (batches == null || !e.getMessage().contains("fails on a batch")) {
      return e;
    }
    String detail = e.getMessage();
    int at = detail.indexOf("fails on a batch");
    return new DataFileException(
        batches.source(),
        "does not fit the model "
            + model.path()
            + ": it "
            + detail.substring(at)
            + "; check the arrays' names, shapes and dtypes against the model's inputs",
        e);
  }

  /** Finds call order and shared inputs on the first samples. */
  private void probe(ModelRunner runner) throws ModelFileException {
    List<Tensor> batch = batches.first(PROBE_SAMPLES).get(0);
    Map<String, List<Tensor>> seen = new LinkedHashMap<>();
    runner.run(
        batch,
        (layer, input) -> {
          check(layer, input);
          seen.computeIfAbsent(layer, k -> new ArrayList<>()).add(input);
        });
    Map<String, List<String>> byShape = new HashMap<>();
    for (Map.Entry<String, List<Tensor>> e : seen.entrySet()) {
      String layer = e.getKey();
      callOrder.add(layer);
      Acc joined = null;
      if (e.getValue().size() == 1) {
        Tensor t = e.getValue().get(0);
        // Layers share a statistic only when they take the same rows from the same tensor: two
        // convolutions of different kernels, strides or paddings do not.
        String key = Arrays.toString(t.shape()) + " " + rowsOf(byName.get(layer));
        for (String other : byShape.getOrDefault(key, List.of())) {
          List<Tensor> o = seen.get(other);
          if (o.size() == 1 && Arrays.equals(o.get(0).floats(), t.floats())) {
            joined = groupOf.get(other);
            break;
          }
        }
        byShape.computeIfAbsent(key, k -> new ArrayList<>()).add(layer);
      }
      if (joined != null) {
        joined.layers.add(layer);
        groupOf.put(layer, joined);
      } else {
        newGroup(layer);
      }
    }
  }

  /** What a layer takes from its input as rows: its width, or a convolution's patch geometry. */
  private static String rowsOf(Layer layer) {
    return layer.conv().map(g -> "conv " + g).orElse("rows of " + layer.inFeatures());
  }

  private Acc newGroup(String leader) {
    Acc a = new Acc(leader, new GramAccumulator(byName.get(leader).inFeatures(), gram));
    groups.add(a);
    groupOf.put(leader, a);
    return a;
  }

  private void checkMemory(SourceModel model) {
    long bytes = 0;
    for (Acc a : groups) {
      long m = byName.get(a.layers.get(0)).inFeatures();
      bytes += 8 * (m + (gram ? m * (m + 1) / 2 : 0));
    }
    long budget = (long) (Runtime.getRuntime().maxMemory() * 0.6);
    if (bytes > budget) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "the input statistics of %s's layers need %.1f GB, more than 60%% of the %.1f GB"
                  + " heap: give the JVM more memory (LOWRANK_JAVA_OPTS=-Xmx...), calibrate fewer"
                  + " layers, or use --method activation (no m x m matrices)",
              model.path(),
              bytes / 1e9,
              Runtime.getRuntime().maxMemory() / 1e9));
    }
  }

  private void check(String layer, Tensor input) {
    Layer l = byName.get(layer);
    if (l == null) {
      throw new IllegalStateException("The runner reported layer " + layer + ", not observed");
    }
    LayerRows.of(l, input, Optional.empty());
  }

  /** Runs one batch and adds it to the statistics; returns the tokens it counted. */
  private long accumulate(ModelRunner runner, List<Tensor> batch) throws ModelFileException {
    Optional<Tensor> mask = batches.maskOf(batch);
    Map<Acc, List<LayerRows>> pending = new LinkedHashMap<>();
    Map<String, List<LayerRows>> followerRows = new HashMap<>();
    Map<String, Integer> matched = new HashMap<>();
    long[] firstTokens = {-1};
    runner.run(
        batch,
        (layer, input) -> {
          Layer l = byName.get(layer);
          if (l == null) {
            throw new IllegalStateException(
                "The runner reported layer " + layer + ", not observed");
          }
          Acc g = groupOf.get(layer);
          if (g == null) {
            g = newGroup(layer);
            callOrder.add(layer);
          }
          LayerRows rows = LayerRows.of(l, input, mask);
          if (firstTokens[0] < 0) {
            firstTokens[0] = rows.tokens();
          }
          if (g.layers.size() == 1) {
            rows.addTo(g.stats);
          } else if (g.layers.get(0).equals(layer)) {
            pending.computeIfAbsent(g, k -> new ArrayList<>()).add(rows);
          } else {
            // Followers keep their rows only when they differ from the leader's (which comes
            // first in call order).
            List<LayerRows> mine = followerRows.computeIfAbsent(layer, k -> new ArrayList<>());
            int call = mine.size();
            List<LayerRows> lead = pending.getOrDefault(g, List.of());
            boolean same = call < lead.size() && lead.get(call).sameAs(rows);
            mine.add(same ? null : rows);
            if (same) {
              matched.merge(layer, 1, Integer::sum);
            }
          }
        });
    for (Acc g : List.copyOf(groups)) {
      if (g.layers.size() < 2) {
        continue;
      }
      List<LayerRows> lead = pending.getOrDefault(g, List.of());
      for (String follower : List.copyOf(g.layers.subList(1, g.layers.size()))) {
        List<LayerRows> mine = followerRows.getOrDefault(follower, List.of());
        if (mine.size() == lead.size() && matched.getOrDefault(follower, 0) == lead.size()) {
          continue;
        }
        // The follower was fed its leader's input on every earlier batch: it starts from the
        // leader's statistics without this batch, then takes its own rows of this batch.
        Acc own = new Acc(follower, g.stats.copy());
        g.layers.remove(follower);
        groups.add(own);
        groupOf.put(follower, own);
        for (int call = 0; call < mine.size(); call++) {
          LayerRows rows = mine.get(call) != null ? mine.get(call) : lead.get(call);
          rows.addTo(own.stats);
        }
      }
      for (LayerRows rows : lead) {
        rows.addTo(g.stats);
      }
    }
    if (mask.isPresent()) {
      return nonZero(mask.get());
    }
    return Math.max(0, firstTokens[0]);
  }

  /** The rows of a layer input that the mask keeps (all rows when the mask does not apply). */
  static float[] rows(Tensor input, Optional<Tensor> mask, int width) {
    float[] values = input.floats();
    if (mask.isEmpty() || !masks(input, mask.get())) {
      return values;
    }
    Tensor m = mask.get();
    int positions = m.size();
    int rows = values.length / width;
    int per = rows / positions;
    int kept = 0;
    for (int p = 0; p < positions; p++) {
      if (keep(m, p)) {
        kept++;
      }
    }
    if (kept == positions) {
      return values;
    }
    float[] out = new float[kept * per * width];
    int at = 0;
    int block = per * width;
    for (int p = 0; p < positions; p++) {
      if (keep(m, p)) {
        System.arraycopy(values, p * block, out, at, block);
        at += block;
      }
    }
    return out;
  }

  /** Whether the mask's shape is the leading axes of the input's. */
  static boolean masks(Tensor input, Tensor mask) {
    if (input.dimensions() - 1 < mask.dimensions()) {
      return false;
    }
    for (int i = 0; i < mask.dimensions(); i++) {
      if (input.dim(i) != mask.dim(i)) {
        return false;
      }
    }
    return true;
  }

  private static boolean keep(Tensor mask, int p) {
    return mask.type() == Tensor.Type.INT64 ? mask.longs()[p] != 0 : mask.floats()[p] != 0;
  }

  private static long nonZero(Tensor mask) {
    long n = 0;
    for (int p = 0; p < mask.size(); p++) {
      if (keep(mask, p)) {
        n++;
      }
    }
    return n;
  }
}
