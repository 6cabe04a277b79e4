/**
 * The model zoo: real models on real data, trained once and cached, compressed and evaluated end to
 * end (lowrank zoo, lowrank demo).
 */
package dev.lowrank.zoo;
