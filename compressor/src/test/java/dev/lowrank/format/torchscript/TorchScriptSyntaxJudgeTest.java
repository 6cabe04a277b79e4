package dev.lowrank.format.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lowrank.format.torchscript.internal.code.CodeException;
import dev.lowrank.format.torchscript.internal.code.CodeParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.Arguments;

/**
 * PyTorch is the judge of what lowrank refuses as corrupt TorchScript: every code file PyTorch
 * writes for a varied set of modules (corpus.py) parses, every corrupted archive lowrank refuses
 * (the code of {@link TorchScriptHostileArchiveTest#corruptCode()}, and versions past 10) is
 * refused by {@code torch.jit.load} too, and version 10 loads.
 *
 * <p>Needs {@code /usr/bin/python3} with torch; when {@code CI=true} a missing torch fails the
 * test, elsewhere it is skipped.
 */
class TorchScriptSyntaxJudgeTest {

  private static final String PYTHON = "/usr/bin/python3";

  private static final String LOAD_EACH =
      "import sys, torch\n"
          + "for path in sys.argv[1:]:\n"
          + "    try:\n"
          + "        torch.jit.load(path)\n"
          + "        print('loads')\n"
          + "    except Exception:\n"
          + "        print('refused')\n";

  @TempDir Path dir;

  @BeforeAll
  static void needsTorch() throws Exception {
    boolean torch = python(List.of("-c", "import torch")) != null;
    if (!torch && "true".equals(System.getenv("CI"))) {
      fail(PYTHON + " cannot import torch; CI must install python3-torch (apt-get)");
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(
        torch, "skipped: " + PYTHON + " with torch (Debian python3-torch) is not installed");
  }

  @Test
  void everyCodeFilePyTorchWritesParses() throws Exception {
    Path script = dir.resolve("corpus.py");
    try (var in = getClass().getResourceAsStream("corpus.py")) {
      Files.copy(in, script);
    }
    Path out = Files.createDirectories(dir.resolve("corpus"));
    List<String> written = python(List.of(script.toString(), out.toString()));
    assertTrue(written != null && written.size() >= 14, "corpus.py wrote " + written);
    StringBuilder all = new StringBuilder();
    int files = 0;
    List<String> refused = new ArrayList<>();
    for (String archive : written) {
      for (Map.Entry<String, byte[]> e : ZipSurgery.read(Path.of(archive)).entrySet()) {
        if (!e.getKey().contains("/code/") || !e.getKey().endsWith(".py")) {
          continue;
        }
        String text = new String(e.getValue(), StandardCharsets.UTF_8);
        all.append(text);
        files++;
        try {
          CodeParser.parse(e.getKey(), "__torch__", text);
        } catch (CodeException ex) {
          refused.add(archive + " " + e.getKey() + ": " + ex.getMessage());
        }
      }
    }
    assertEquals(List.of(), refused);
    assertTrue(files > 60, "code files: " + files);
    // The corpus holds the statements TorchScript prints besides assignments and calls.
    for (String construct :
        List.of(
            "\n    while ",
            "\n    for ",
            "\n    with ",
            "\n    if ",
            "else:\n",
            "pass\n",
            "def __forked_function():",
            "ops.prim.RaiseException(",
            "class Box:",
            "(ModuleInterface):",
            "Optional[Tensor]=None",
            "uninitialized(",
            "getattr(",
            "annotate(")) {
      assertTrue(all.indexOf(construct) >= 0, "no '" + construct + "' in the corpus");
    }
  }

  @Test
  void pyTorchRefusesWhatLowrankRefuses() throws Exception {
    Map<String, byte[]> good =
        ZipSurgery.read(TorchScriptFixtures.get("mlp_scripted.pt").copyTo(dir));
    Map<String, Path> archives = new LinkedHashMap<>();
    int n = 0;
    for (Arguments a : TorchScriptHostileArchiveTest.corruptCode().toList()) {
      Object[] args = a.get();
      String entry = (String) args[0];
      String code = new String(good.get(entry), StandardCharsets.UTF_8);
      Map<String, byte[]> m = new LinkedHashMap<>(good);
      m.put(
          entry, code.replace((String) args[1], (String) args[2]).getBytes(StandardCharsets.UTF_8));
      archives.put((String) args[3], ZipSurgery.write(dir.resolve("code" + n++ + ".pt"), m));
    }
    for (String version : List.of("11", "999999")) {
      Map<String, byte[]> m = new LinkedHashMap<>(good);
      m.put("mlp_scripted/version", (version + "\n").getBytes(StandardCharsets.US_ASCII));
      archives.put("version " + version, ZipSurgery.write(dir.resolve("v" + version + ".pt"), m));
    }
    Map<String, byte[]> ten = new LinkedHashMap<>(good);
    ten.put("mlp_scripted/version", "10\n".getBytes(StandardCharsets.US_ASCII));
    Path v10 = ZipSurgery.write(dir.resolve("v10.pt"), ten);

    List<String> args = new ArrayList<>(List.of("-c", LOAD_EACH, v10.toString()));
    archives.values().forEach(p -> args.add(p.toString()));
    List<String> verdicts = python(args);
    assertTrue(verdicts != null && verdicts.size() == archives.size() + 1, "verdicts " + verdicts);
    assertEquals("loads", verdicts.get(0), "version 10");
    int i = 1;
    for (String what : archives.keySet()) {
      assertEquals("refused", verdicts.get(i++), what);
    }
  }

  /** Runs Python and returns its output lines, or null if it fails. */
  private static List<String> python(List<String> args) throws InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(PYTHON));
    cmd.addAll(args);
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      return null;
    }
    String out;
    try {
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      p.destroyForcibly();
      return null;
    }
    if (!p.waitFor(600, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return null;
    }
    return p.exitValue() == 0 ? out.lines().toList() : null;
  }
}
