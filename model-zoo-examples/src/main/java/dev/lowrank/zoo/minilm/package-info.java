/**
 * The zoo's real pretrained model: all-MiniLM-L6-v2 (a 6-layer BERT sentence encoder) as the ONNX
 * file of its Maven artifact, compressed with plain and data-aware truncation at several shares of
 * its encoder's linear weights, and measured on real labeled English text (SpamAssassin's disjoint
 * calibration, train and test parts) through DJL's OnnxRuntime engine: retrieval, classification
 * with a head fitted on the original, the embedding cosine to the original, parameters, file size
 * and latency. {@code lowrank zoo run minilm} and the end of {@code lowrank demo} show it.
 */
package dev.lowrank.zoo.minilm;
