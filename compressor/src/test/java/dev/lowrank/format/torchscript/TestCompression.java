package dev.lowrank.format.torchscript;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.ManifestJson;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackends;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntBinaryOperator;
import java.util.function.Predicate;

/** Factorizes layers of a model the way the tests ask: exact SVD, leading r triplets. */
final class TestCompression {

  private TestCompression() {}

  /**
   * Factors for every eligible dense layer whose {@code min(n, m)} exceeds the rank.
   *
   * @param m the model
   * @param rank the rank
   * @param skip layers to leave out
   * @return factors by layer name
   */
  static Map<String, LowRankFactors> factors(SourceModel m, int rank, Predicate<String> skip)
      throws ModelFileException {
    return factors(m, (n, k) -> Math.min(n, k) > rank ? rank : 0, skip);
  }

  /**
   * Factors for every eligible dense layer, at a rank chosen from its shape (0 to leave it).
   *
   * @param m the model
   * @param rankOf maps (n, m) to a rank, 0 to skip the layer
   * @param skip layers to leave out
   * @return factors by layer name
   */
  static Map<String, LowRankFactors> factors(
      SourceModel m, IntBinaryOperator rankOf, Predicate<String> skip) throws ModelFileException {
    Map<String, LowRankFactors> out = new LinkedHashMap<>();
    for (Layer l : m.layers()) {
      int r = rankOf.applyAsInt(l.outFeatures(), l.inFeatures());
      if (l.ineligible().isPresent() || l.lowRank().isPresent() || r < 1 || skip.test(l.name())) {
        continue;
      }
      out.put(
          l.name(),
          LowRankFactors.truncate(
              SvdBackends.exact().decompose(m.readWeight(l), RankTarget.leading(r)), r));
    }
    return out;
  }

  /**
   * Returns a result as the manifest bytes a format embeds.
   *
   * @param result the result
   * @return its UTF-8 JSON
   */
  static byte[] bytes(CompressionResult result) {
    return ManifestJson.toJson(result).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * A minimal result to embed as the manifest.
   *
   * @param m the model
   * @param factors what is written
   * @return the result
   */
  static CompressionResult manifest(SourceModel m, Map<String, LowRankFactors> factors) {
    long after = m.parameterCount();
    for (Layer l : m.layers()) {
      LowRankFactors f = factors.get(l.name());
      if (f != null) {
        after += f.parameters() - (long) l.outFeatures() * l.inFeatures();
      }
    }
    return new CompressionResult(
        "test",
        "torchscript",
        Optional.of(m.path().getFileName().toString()),
        Optional.empty(),
        Map.of("policy", "test"),
        List.of(),
        m.parameterCount(),
        after);
  }
}
