package dev.lowrank.format.torchscript.internal.code;

/**
 * A parameter of a method or function.
 *
 * @param name its name
 * @param type its annotation as written, empty when it has none
 * @param hasDefault whether it has a default value
 */
public record Param(String name, String type, boolean hasDefault) {}
