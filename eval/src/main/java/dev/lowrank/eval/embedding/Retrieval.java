package dev.lowrank.eval.embedding;

/**
 * Retrieval by cosine similarity: query {@code i}'s one relevant document is document {@code i};
 * every document is a candidate for every query.
 *
 * @param queries the number of queries
 * @param recallAt1 the share of queries whose document ranks first
 * @param recallAt10 the share whose document is among the 10 most similar
 * @param mrr the mean reciprocal rank of the relevant document
 */
public record Retrieval(int queries, double recallAt1, double recallAt10, double mrr) {

  /**
   * Ranks the documents for each query.
   *
   * @param queries one embedding per query
   * @param documents one embedding per document, as many as queries
   * @return the scores
   */
  public static Retrieval of(Embeddings queries, Embeddings documents) {
    if (queries.size() != documents.size() || queries.dimension() != documents.dimension()) {
      throw new IllegalArgumentException(
          queries.size()
              + " queries need as many documents of the same width; got "
              + documents.size()
              + " of width "
              + documents.dimension());
    }
    int n = queries.size();
    int at1 = 0;
    int at10 = 0;
    double rr = 0;
    for (int q = 0; q < n; q++) {
      double relevant = queries.cosine(q, documents, q);
      int better = 0;
      for (int d = 0; d < n; d++) {
        if (d != q && queries.cosine(q, documents, d) > relevant) {
          better++;
        }
      }
      if (better == 0) {
        at1++;
      }
      if (better < 10) {
        at10++;
      }
      rr += 1.0 / (better + 1);
    }
    return new Retrieval(n, (double) at1 / n, (double) at10 / n, rr / n);
  }
}
