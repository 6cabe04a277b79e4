/** The file readers behind {@link dev.lowrank.data.Datasets}; not an API. */
package dev.lowrank.data.internal;
