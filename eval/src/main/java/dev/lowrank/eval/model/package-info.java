/** Models loaded for inference through DJL, and sessions that run them from one thread each. */
package dev.lowrank.eval.model;
