/** Training of small classifiers with DJL, for the examples and the tests. */
package dev.lowrank.datasets.training;
