package dev.lowrank.format.torchscript.internal.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lowrank.format.torchscript.TorchScriptFixturesAccess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Python's own parser is the judge of lowrank's {@code SyntaxCheck}: the fixtures' code files are
 * mutated at random (seeded: a token deleted, doubled, replaced by another or by a keyword or
 * operator, or something inserted before it), and every mutant that {@code ast.parse} of Debian's
 * Python refuses must be refused by lowrank too. (TorchScript prints a subset of Python, so that
 * holds for the unmutated files; the one thing TorchScript prints that Python refuses, a
 * keyword-only parameter without a default after one with a default, is left out.)
 *
 * <p>Needs {@code /usr/bin/python3}; when {@code CI=true} a missing Python fails the test,
 * elsewhere it is skipped.
 */
class SyntaxCheckMutationTest {

  private static final String PYTHON = "/usr/bin/python3";

  private static final String[] INSERTED = {
    "(", ")", "[", "]", "{", "}", ",", ":", "=", ".", "...", "-", "+", "*", "**", "@", "==", "+=",
    "->", ";", "\n", "  ", "if", "else", "elif", "not", "in", "is", "and", "for", "while", "with",
    "as", "return", "pass", "del", "def", "class", "lambda", "None", "1", "1.5e-3", "\"s\"", "x"
  };

  private static final String JUDGE =
      "import ast, sys, warnings\n"
          + "warnings.filterwarnings('ignore')\n"
          + "for path in open(sys.argv[1]).read().split('\\n'):\n"
          + "    if not path:\n"
          + "        continue\n"
          + "    try:\n"
          + "        ast.parse(open(path).read())\n"
          + "        print('ok')\n"
          + "    except SyntaxError as e:\n"
          + "        print('refused\\t' + str(e.msg).replace('\\n', ' '))\n";

  @TempDir Path dir;

  private record Mutant(Path file, boolean accepted, String problem) {}

  @Test
  void lowrankRefusesEveryMutantPythonRefuses() throws Exception {
    needsPython();
    Map<String, String> seeds = TorchScriptFixturesAccess.codeFiles();
    assertTrue(seeds.size() > 40, "fixture code files: " + seeds.size());
    Random random = new Random(20260503);
    List<Mutant> mutants = new ArrayList<>();
    for (String seed : seeds.values()) {
      CodeParser.parse("seed", "__torch__", seed);
      List<Token> tokens = new ArrayList<>();
      for (LogicalLine l : Tokenizer.logicalLines(seed)) {
        tokens.addAll(l.tokens());
      }
      for (int m = 0; m < 40; m++) {
        String text = mutate(seed, tokens, random);
        boolean accepted;
        String problem = "";
        try {
          CodeParser.parse("mutant", "__torch__", text);
          accepted = true;
        } catch (CodeException e) {
          accepted = false;
          problem = e.getMessage();
        }
        Path file = dir.resolve("m" + mutants.size() + ".py");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        mutants.add(new Mutant(file, accepted, problem));
      }
    }
    List<String> verdicts = judge(mutants);
    assertEquals(mutants.size(), verdicts.size(), "one verdict per mutant");
    int bothAccept = 0;
    int bothRefuse = 0;
    List<String> missed = new ArrayList<>();
    for (int i = 0; i < mutants.size(); i++) {
      Mutant m = mutants.get(i);
      String v = verdicts.get(i);
      boolean python = v.equals("ok");
      if (python && m.accepted()) {
        bothAccept++;
      } else if (!python && !m.accepted()) {
        bothRefuse++;
      } else if (!python && !keywordOnlyAfterDefault(v)) {
        missed.add(m.file().getFileName() + " (" + v + ")");
      }
    }
    assertTrue(missed.isEmpty(), "Python refuses, lowrank accepts: " + missed);
    // The mutations are varied enough to exercise both sides.
    assertTrue(bothAccept > 200, "mutants both accept: " + bothAccept);
    assertTrue(bothRefuse > 1000, "mutants both refuse: " + bothRefuse);
  }

  private static boolean keywordOnlyAfterDefault(String verdict) {
    return verdict.contains("non-default argument follows default argument")
        || verdict.contains("parameter without a default follows parameter with a default");
  }

  private static String mutate(String seed, List<Token> tokens, Random random) {
    Token a = tokens.get(random.nextInt(tokens.size()));
    String before = seed.substring(0, a.start());
    String after = seed.substring(a.end());
    String word = INSERTED[random.nextInt(INSERTED.length)];
    return switch (random.nextInt(5)) {
      case 0 -> before + after;
      case 1 -> before + a.text() + " " + a.text() + after;
      case 2 -> before + tokens.get(random.nextInt(tokens.size())).text() + after;
      case 3 -> before + word + " " + a.text() + after;
      default -> before + word + after;
    };
  }

  private List<String> judge(List<Mutant> mutants) throws Exception {
    Path list = dir.resolve("mutants.txt");
    StringBuilder sb = new StringBuilder();
    for (Mutant m : mutants) {
      sb.append(m.file()).append('\n');
    }
    Files.writeString(list, sb);
    Path script = dir.resolve("judge.py");
    Files.writeString(script, JUDGE);
    Path out = dir.resolve("verdicts.txt");
    Process p =
        new ProcessBuilder(PYTHON, script.toString(), list.toString())
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("the Python judge did not finish");
    }
    assertEquals(0, p.exitValue(), "the Python judge failed");
    return Files.readAllLines(out, StandardCharsets.UTF_8);
  }

  private static void needsPython() throws InterruptedException {
    boolean python;
    try {
      Process p = new ProcessBuilder(PYTHON, "-c", "import ast").start();
      python = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      python = false;
    }
    if (!python && "true".equals(System.getenv("CI"))) {
      fail(PYTHON + " is missing; CI must install python3");
    }
    Assumptions.assumeTrue(python, "skipped: " + PYTHON + " is not installed");
  }
}
