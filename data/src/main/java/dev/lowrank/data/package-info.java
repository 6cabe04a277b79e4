/**
 * Data sets and where they come from: the in-memory {@link dev.lowrank.data.Dataset}, the readers
 * of CSV, .npy/.npz files and image folders behind {@link dev.lowrank.data.Datasets}, per-sample
 * shapes, and {@link dev.lowrank.data.Tensor}, the engine-neutral array that data, model formats
 * and calibration exchange.
 */
package dev.lowrank.data;
