/**
 * Finding and replacing blocks in a DJL block tree: the named Linear sites and every reference to a
 * block, shared by the runtime and the compressor's DJL format.
 */
package dev.lowrank.runtime.blocks;
