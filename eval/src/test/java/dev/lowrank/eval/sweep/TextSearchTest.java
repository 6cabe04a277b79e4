package dev.lowrank.eval.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.RankPolicy;
import dev.lowrank.data.DataOptions;
import dev.lowrank.data.DataSource;
import dev.lowrank.datasets.minilm.MiniLm;
import dev.lowrank.datasets.testing.TextFixture;
import dev.lowrank.datasets.text.TextSets;
import dev.lowrank.eval.pooling.Pooling;
import dev.lowrank.eval.testing.MiniLmModels;
import dev.lowrank.format.ModelFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A search (and so a sweep, which shares its runner) over a real sentence encoder: all-MiniLM-L6-v2
 * as the Maven jar carries it (ONNX, no Python), on real labeled texts, with its per-token states
 * mean-pooled into the sentence embeddings that fidelity is measured on.
 */
class TextSearchTest {

  @TempDir Path tmp;

  @Test
  void searchesOnPooledEmbeddingsOfRealText() throws Exception {
    MiniLm.Files minilm = MiniLmModels.files();
    Path file = tmp.resolve("spam-test.tsv");
    TextSets.spamClassification(TextFixture.cacheOrSkip(), TextSets.Part.TEST, 12).writeTsv(file);
    DataSource texts =
        DataSource.file(
            file, DataOptions.builder().optTokenizer(minilm.tokenizer()).optMaxLength(32).build());
    SmallestModelSearch.Builder search =
        SmallestModelSearch.builder()
            .setModel(minilm.onnx())
            .setData(texts)
            .setMinFidelity(0.01, FidelityMetric.COSINE)
            .optCandidates(List.of(RankPolicy.ratio(0.9)));

    ModelFileException perToken = assertThrows(ModelFileException.class, search.build()::run);
    assertTrue(perToken.getMessage().contains("--pooling mean"), perToken.getMessage());

    SearchResult r = search.optPooling(Pooling.MEAN).build().run();
    assertEquals(Optional.of(Pooling.MEAN), r.evaluated().pooling());
    assertEquals(1, r.evaluated().points().size());
    SweepPoint p = r.evaluated().points().get(0);
    assertTrue(
        r.evaluated().originalAccuracy().isEmpty() && p.accuracy().isEmpty() && p.drop().isEmpty(),
        "the texts are labeled, but sentence embeddings have no classes");
    double mean = p.fidelity().meanCosine().orElseThrow();
    double min = p.fidelity().minCosine().orElseThrow();
    assertTrue(mean > 0.01 && mean < 0.9999, "truncated to 90% of the weights: cosine " + mean);
    assertTrue(min <= mean, min + " <= " + mean);
    assertEquals(mean, p.meanCosine(), 1e-9, "the search's criterion reads the same cosine");
    assertEquals(p, r.chosen().orElseThrow(), r.summary());
    assertTrue(r.summary().contains("cosine"), r.summary());
  }
}
