/** The runner a sweep and a search share; not an API. */
package dev.lowrank.eval.sweep.internal;
