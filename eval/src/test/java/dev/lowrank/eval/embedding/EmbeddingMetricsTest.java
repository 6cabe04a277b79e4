package dev.lowrank.eval.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.data.Dataset;
import dev.lowrank.datasets.Digits;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Retrieval and the logistic head against their definitions, and the head on real digits. */
class EmbeddingMetricsTest {

  @Test
  void retrievalRanksEachQuerysDocument() {
    // Queries equal documents except query 1, whose own document ranks third of four.
    float[] docs = {1, 0, 0, 1, 0.6f, 0.8f, -1, 0};
    float[] queries = docs.clone();
    queries[2] = 0.8f;
    queries[3] = 0.6f;
    Embeddings q = Embeddings.of(4, 2, queries);
    Embeddings d = Embeddings.of(4, 2, docs);
    Retrieval r = Retrieval.of(q, d);
    assertEquals(4, r.queries());
    assertEquals(0.75, r.recallAt1(), 1e-12);
    assertEquals(1.0, r.recallAt10(), 1e-12);
    assertEquals((1 + 1.0 / 3 + 1 + 1) / 4, r.mrr(), 1e-12);
    assertEquals(1.0, Retrieval.of(d, d).mrr(), 1e-12);
  }

  @Test
  void logisticHeadSeparatesSeparableClustersAndIsDeterministic() {
    Random rng = new Random(3);
    int n = 200;
    float[] v = new float[n * 3];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 3;
      for (int k = 0; k < 3; k++) {
        v[i * 3 + k] = (float) ((k == labels[i] ? 2 : 0) + 0.3 * rng.nextGaussian());
      }
    }
    Embeddings e = Embeddings.of(n, 3, v);
    LogisticHead head = LogisticHead.fit(e, labels, 3);
    assertEquals(1.0, head.accuracy(e, labels), 1e-12);
    assertEquals(
        java.util.Arrays.toString(head.predict(e)),
        java.util.Arrays.toString(LogisticHead.fit(e, labels, 3).predict(e)));
  }

  @Test
  void logisticHeadOnRealDigitsFeatures() {
    Dataset train = Digits.train();
    Dataset test = Digits.test();
    LogisticHead head =
        LogisticHead.fit(
            Embeddings.of(train.size(), 64, train.flatFeatures()),
            train.labels().orElseThrow(),
            10);
    double acc =
        head.accuracy(
            Embeddings.of(test.size(), 64, test.flatFeatures()), test.labels().orElseThrow());
    assertTrue(acc > 0.93, "a linear model on the digits pixels reaches about 95%, got " + acc);
  }
}
