/**
 * The project's benchmarks: the truncated SVD and the low-rank forward measured next to a
 * PyTorch/NumPy reference run in the same command (lowrank bench), and JMH benchmarks. Speed is
 * reported as ratios, never as absolute times across runs.
 */
package dev.lowrank.bench;
