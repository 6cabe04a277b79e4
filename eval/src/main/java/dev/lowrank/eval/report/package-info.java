/** The evaluation report and its writers (JSON, Markdown, HTML, text), chosen by file extension. */
package dev.lowrank.eval.report;
