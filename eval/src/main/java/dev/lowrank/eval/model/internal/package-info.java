/** Locating model files for DJL; not an API. */
package dev.lowrank.eval.model.internal;
