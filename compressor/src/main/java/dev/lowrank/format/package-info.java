/**
 * The model-format interface every format implements ({@link dev.lowrank.format.ModelFormat},
 * {@link dev.lowrank.format.SourceModel}, {@link dev.lowrank.format.ModelRunner}), the layers it
 * lists ({@link dev.lowrank.format.Layer}), and {@link dev.lowrank.format.ModelFormats}, the one
 * place that lists the formats. It speaks of layers, weights, factors, tensors and opaque manifest
 * bytes, never of the compressor that calls it: formats sit below the compressor.
 */
package dev.lowrank.format;
