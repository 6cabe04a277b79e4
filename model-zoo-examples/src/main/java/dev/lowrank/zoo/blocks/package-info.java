/** The DJL block factories of the zoo's models (MLP, CNN, row transformer). */
package dev.lowrank.zoo.blocks;
