/** The terminal progress bar; not an API. */
package dev.lowrank.eval.progress.internal;
