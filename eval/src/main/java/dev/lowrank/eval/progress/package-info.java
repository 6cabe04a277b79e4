/** Progress bars shown only when a person watches a terminal. */
package dev.lowrank.eval.progress;
