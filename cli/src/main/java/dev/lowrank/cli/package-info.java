/**
 * The lowrank command line: one picocli command class per subcommand, the options they share, and
 * the mapping of every failure to an exit code (0 success, 1 a failed check, 2 bad input or usage,
 * 3 an internal error).
 */
package dev.lowrank.cli;
