/**
 * Evaluation of a compressed model against its original: {@link dev.lowrank.eval.Evaluation} runs
 * parameters, size, latency and accuracy (or fidelity) into one report.
 */
package dev.lowrank.eval;
