/**
 * DJL block models: reading a model directory through DJL's Criteria, finding and replacing its
 * Linear blocks, running it for calibration, and writing it back with LowRankLinear blocks.
 */
package dev.lowrank.format.djl;
