/** How an evaluation describes the data it ran on, for reports. */
package dev.lowrank.eval.data;
