/** The report writers' implementations, plots and formatting; not an API. */
package dev.lowrank.eval.report.internal;
