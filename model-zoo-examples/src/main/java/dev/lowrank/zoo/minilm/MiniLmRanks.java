package dev.lowrank.zoo.minilm;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.LayerResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a compression of a BERT encoder put its ranks, in one short cell: the mean rank of each
 * kind of layer over the blocks ({@code encoder.layer.<i>.attention.self.query} is of kind {@code
 * q}), in the blocks' order: {@code q/k/v/o/in/out} for query, key, value, the attention output and
 * the feed-forward layers' input and output projections.
 */
public final class MiniLmRanks {

  /** The header of the cell. */
  public static final String HEADER = "mean ranks q/k/v/o/in/out";

  private static final Pattern BLOCK = Pattern.compile("(?:.*\\.)?layer\\.\\d+\\.(.+)");

  private static final Map<String, String> SHORT =
      Map.of(
          "attention.self.query", "q",
          "attention.self.key", "k",
          "attention.self.value", "v",
          "attention.output.dense", "o",
          "intermediate.dense", "in",
          "output.dense", "out");

  private MiniLmRanks() {}

  /**
   * Summarizes a compression's ranks.
   *
   * @param result the compression
   * @return e.g. {@code 96/96/96/96/153/153}; a kind whose layers all stayed dense shows {@code -},
   *     and a mean over fewer layers than blocks says how many were dense, e.g. {@code 40 (1
   *     dense)}
   */
  public static String of(CompressionResult result) {
    Map<String, List<LayerResult>> byKind = new LinkedHashMap<>();
    for (LayerResult l : result.layers()) {
      byKind.computeIfAbsent(kind(l.name()), k -> new ArrayList<>()).add(l);
    }
    List<String> cells = new ArrayList<>();
    for (List<LayerResult> layers : byKind.values()) {
      long sum = 0;
      int factorized = 0;
      for (LayerResult l : layers) {
        if (l.factorized() && l.rank().isPresent()) {
          sum += l.rank().getAsInt();
          factorized++;
        }
      }
      int dense = layers.size() - factorized;
      if (factorized == 0) {
        cells.add("-");
      } else {
        cells.add(
            Math.round((double) sum / factorized)
                + (dense == 0 ? "" : String.format(Locale.ROOT, " (%d dense)", dense)));
      }
    }
    return String.join("/", cells);
  }

  /**
   * Returns the kind of a layer: its name within its block, shortened for BERT's six projections.
   *
   * @param layer e.g. {@code encoder.layer.3.attention.self.value}
   * @return e.g. {@code v}; the whole name for a layer outside the blocks
   */
  static String kind(String layer) {
    Matcher m = BLOCK.matcher(layer);
    if (!m.matches()) {
      return layer;
    }
    return SHORT.getOrDefault(m.group(1), m.group(1));
  }
}
