/**
 * What a user of a sentence encoder measures: embeddings of tokenized texts ({@link
 * dev.lowrank.eval.embedding.Embeddings}), retrieval (recall@k, MRR; {@link
 * dev.lowrank.eval.embedding.Retrieval}), classification with a head fitted on the original model's
 * embeddings ({@link dev.lowrank.eval.embedding.LogisticHead}), and {@link
 * dev.lowrank.eval.embedding.EmbeddingTasks}, which runs these tasks on an original and a
 * compressed encoder side by side with the embedding cosine between them.
 */
package dev.lowrank.eval.embedding;
