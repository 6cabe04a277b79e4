package dev.lowrank.format.torchscript;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Entry-level access to the fixtures for tests of the internal packages. */
public final class TorchScriptFixturesAccess {

  private TorchScriptFixturesAccess() {}

  /**
   * Returns the fixture file names.
   *
   * @return e.g. {@code mlp_scripted.pt}
   */
  public static List<String> files() {
    return TorchScriptFixtures.all().stream().map(TorchScriptFixtures.Fixture::file).toList();
  }

  /**
   * Reads one record of a fixture.
   *
   * @param file the fixture
   * @param record the record under the archive's prefix, e.g. {@code data.pkl}
   * @return its bytes
   */
  public static byte[] entry(String file, String record) {
    try {
      Path dir = Files.createTempDirectory("fixture");
      Path p = TorchScriptFixtures.copy(file, dir);
      Map<String, byte[]> entries = ZipSurgery.read(p);
      Files.delete(p);
      Files.delete(dir);
      String prefix = file.substring(0, file.length() - 3) + "/";
      return entries.get(prefix + record);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads the code files of every fixture.
   *
   * @return each code entry's name ({@code mlp_scripted/code/__torch__.py}) and its text, in
   *     fixture and archive order
   */
  public static Map<String, String> codeFiles() {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    try {
      Path dir = Files.createTempDirectory("fixture");
      for (String file : files()) {
        Path p = TorchScriptFixtures.copy(file, dir);
        for (Map.Entry<String, byte[]> e : ZipSurgery.read(p).entrySet()) {
          if (e.getKey().contains("/code/") && e.getKey().endsWith(".py")) {
            out.put(e.getKey(), new String(e.getValue(), java.nio.charset.StandardCharsets.UTF_8));
          }
        }
        Files.delete(p);
      }
      Files.delete(dir);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Copies a fixture into a directory.
   *
   * @param file the fixture
   * @param dir the directory
   * @return the copy
   */
  public static Path copy(String file, Path dir) {
    return TorchScriptFixtures.copy(file, dir);
  }
}
