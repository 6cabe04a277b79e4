package dev.lowrank.format.onnx;

import dev.lowrank.compress.CompressionResult;
import dev.lowrank.compress.ManifestJson;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.linalg.RankTarget;
import dev.lowrank.linalg.SvdBackends;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToIntFunction;

/** Factorizes layers of an ONNX model for tests: exact SVD, leading r triplets. */
final class OnnxTesting {

  private OnnxTesting() {}

  /**
   * Factors for every eligible dense layer.
   *
   * @param m the model
   * @param rankOf the rank of each layer, 0 to leave it dense
   * @return the factors by layer name
   */
  static Map<String, LowRankFactors> factors(SourceModel m, ToIntFunction<Layer> rankOf)
      throws ModelFileException {
    Map<String, LowRankFactors> out = new LinkedHashMap<>();
    for (Layer l : m.layers()) {
      int r = rankOf.applyAsInt(l);
      if (!l.factorizable() || r < 1) {
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
   * A minimal manifest for a write.
   *
   * @param m the model
   * @param factors what is written
   * @return the manifest's UTF-8 JSON
   */
  static byte[] manifest(SourceModel m, Map<String, LowRankFactors> factors) {
    long after = m.parameterCount();
    for (Layer l : m.layers()) {
      LowRankFactors f = factors.get(l.name());
      if (f != null) {
        after += f.parameters() - (long) l.outFeatures() * l.inFeatures();
      }
    }
    CompressionResult r =
        new CompressionResult(
            "test",
            "onnx",
            Optional.of(m.path().getFileName().toString()),
            Optional.empty(),
            Map.of("policy", "test"),
            List.of(),
            m.parameterCount(),
            after);
    return ManifestJson.toJson(r).getBytes(StandardCharsets.UTF_8);
  }
}
