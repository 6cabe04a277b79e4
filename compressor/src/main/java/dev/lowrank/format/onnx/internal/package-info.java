/**
 * The implementation of the ONNX format: parsing without copying tensors, checks of hostile input,
 * the layer scan, the rewriter and the ONNX Runtime runner; not an API.
 */
package dev.lowrank.format.onnx.internal;
