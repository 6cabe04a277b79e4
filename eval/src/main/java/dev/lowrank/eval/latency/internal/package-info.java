/** The interleaved timer; not an API. */
package dev.lowrank.eval.latency.internal;
