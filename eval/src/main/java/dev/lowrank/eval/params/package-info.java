/** Parameter counts per layer and per model, and size on disk. */
package dev.lowrank.eval.params;
