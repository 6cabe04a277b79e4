/** Latency per batch size, original and compressed measured interleaved in one run. */
package dev.lowrank.eval.latency;
