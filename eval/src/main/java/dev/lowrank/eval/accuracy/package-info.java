/** Predictions, top-1/top-5 accuracy and output fidelity. */
package dev.lowrank.eval.accuracy;
