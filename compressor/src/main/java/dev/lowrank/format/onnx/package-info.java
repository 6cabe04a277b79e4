/**
 * The ONNX format ({@link dev.lowrank.format.onnx.OnnxModelFormat}): {@code .onnx} files read,
 * rewritten and written with protobuf-java, and run with ONNX Runtime.
 */
package dev.lowrank.format.onnx;
