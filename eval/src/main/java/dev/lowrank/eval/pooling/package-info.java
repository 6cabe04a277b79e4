/**
 * Sentence embeddings from a text encoder's per-token states: {@link
 * dev.lowrank.eval.pooling.Pooling} (mean over the attention mask or the first token, then L2
 * normalization, as sentence-transformers does), on plain arrays and on DJL NDArrays, for
 * evaluation, ONNX and fine-tuning alike.
 */
package dev.lowrank.eval.pooling;
