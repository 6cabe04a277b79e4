/** Helpers of the command classes (text tables, report printing); not an API. */
package dev.lowrank.cli.internal;
