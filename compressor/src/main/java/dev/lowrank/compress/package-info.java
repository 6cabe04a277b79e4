/**
 * The compressor's API: what to compress and how ({@link dev.lowrank.compress.CompressionSpec},
 * {@link dev.lowrank.compress.RankPolicy}, per-layer rules), the entry point {@link
 * dev.lowrank.compress.Compressor}, and what a compression did ({@link
 * dev.lowrank.compress.CompressionResult}, with its JSON manifest codec). It sits above the model
 * formats and the linear algebra and speaks to formats only through {@link
 * dev.lowrank.format.SourceModel}.
 */
package dev.lowrank.compress;
