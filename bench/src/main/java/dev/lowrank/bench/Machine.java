package dev.lowrank.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a measurement ran.
 *
 * @param cpu the CPU model, from {@code /proc/cpuinfo}
 * @param cores processors available to the JVM
 * @param blasThreads OpenBLAS threads per call
 * @param java the JVM version
 * @param loadBefore the one-minute load average before measuring, from {@code /proc/loadavg}
 * @param loadAfter the one-minute load average after measuring
 */
public record Machine(
    String cpu,
    int cores,
    int blasThreads,
    String java,
    Optional<Double> loadBefore,
    Optional<Double> loadAfter) {

  /**
   * Describes this machine now.
   *
   * @param blasThreads the OpenBLAS threads in use
   * @return the description, without a load after
   */
  static Machine describe(int blasThreads) {
    return new Machine(
        cpuModel(),
        Runtime.getRuntime().availableProcessors(),
        blasThreads,
        System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
        loadAverage(),
        Optional.empty());
  }

  /**
   * Returns this description with the load average after measuring.
   *
   * @param load the load average
   * @return a copy
   */
  Machine withLoadAfter(Optional<Double> load) {
    return new Machine(cpu, cores, blasThreads, java, loadBefore, load);
  }

  /**
   * Reads the one-minute load average.
   *
   * @return it, or empty where {@code /proc/loadavg} does not exist
   */
  static Optional<Double> loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return Optional.of(Double.parseDouble(fields[0]));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(line -> line.startsWith("model name"))
          .map(line -> line.substring(line.indexOf(':') + 1).trim())
          .findFirst()
          .orElse(System.getProperty("os.arch"));
    } catch (IOException e) {
      return System.getProperty("os.arch");
    }
  }
}
