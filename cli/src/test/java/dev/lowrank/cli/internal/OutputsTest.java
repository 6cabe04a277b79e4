package dev.lowrank.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outputs checked against inputs and each other as files, and removed again on failure. */
class OutputsTest {

  @TempDir Path tmp;
  Path model;

  @BeforeEach
  void model() throws IOException {
    model = Files.writeString(tmp.resolve("m.pt"), "model");
  }

  private static String refusal(Outputs.Builder b) {
    return assertThrows(IllegalArgumentException.class, b::build).getMessage();
  }

  private Outputs.Builder reading() {
    return Outputs.builder().optInput("--model", model);
  }

  @Test
  void anOutputThatIsAnInputIsRefusedHoweverItIsSpelled() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("d"));
    Path symlink = Files.createSymbolicLink(tmp.resolve("link.json"), model);
    Path hardLink = Files.createLink(tmp.resolve("hard.json"), model);
    Path linkedDir = Files.createSymbolicLink(tmp.resolve("dirlink"), tmp);
    for (Path same :
        List.of(
            model,
            dir.resolve("../m.pt"),
            tmp.resolve("./d/./../m.pt"),
            symlink,
            hardLink,
            linkedDir.resolve("m.pt"))) {
      String message = refusal(reading().optOutput("--report", same, Outputs.Kind.FILE));
      assertEquals(
          "--report " + same + " is the same file as --model " + model + "; choose another path",
          message);
    }
    assertTrue(Files.readString(model).equals("model"));
  }

  @Test
  void aRelativeOutputIsComparedAsTheFileItNames() {
    Path cwd = Path.of("").toAbsolutePath();
    Path relative = cwd.relativize(model);
    assertEquals(
        "--out " + relative + " is the same file as --model " + model + "; choose another path",
        refusal(reading().optOutput("--out", relative, Outputs.Kind.MODEL)));
  }

  @Test
  void outputsMustNotBeEachOther() {
    Path r = tmp.resolve("r.json");
    assertEquals(
        "--report "
            + tmp.resolve("./r.json")
            + " is the same file as --out "
            + r
            + "; choose another path",
        refusal(
            reading()
                .optOutput("--out", r, Outputs.Kind.MODEL)
                .optOutput("--report", tmp.resolve("./r.json"), Outputs.Kind.FILE)));
    assertTrue(
        refusal(
                reading()
                    .optOutputs(
                        "--report",
                        List.of(tmp.resolve("a.json"), tmp.resolve("a.json")),
                        Outputs.Kind.FILE))
            .contains("is the same file as --report"));
  }

  @Test
  void nothingMayLieInsideAnInputDirectoryOrAModelOutput() throws IOException {
    Path djl = Files.createDirectories(tmp.resolve("mlp"));
    Files.writeString(djl.resolve("serving.properties"), "");
    Outputs.Builder insideInput =
        Outputs.builder()
            .optInput("--model", djl)
            .optOutput("--report", djl.resolve("r.json"), Outputs.Kind.FILE);
    assertEquals(
        "--report "
            + djl.resolve("r.json")
            + " lies inside --model "
            + djl
            + "; choose another path",
        refusal(insideInput));
    Path out = tmp.resolve("mlp-r8");
    assertTrue(
        refusal(
                reading()
                    .optOutput("--out", out, Outputs.Kind.MODEL)
                    .optOutput("--report", out.resolve("r.json"), Outputs.Kind.FILE))
            .startsWith("--report " + out.resolve("r.json") + " lies inside --out " + out));
    Path data = Files.createDirectories(tmp.resolve("images/cat"));
    assertTrue(
        refusal(
                reading()
                    .optInput("--data", data)
                    .optOutput("--out", tmp.resolve("images"), Outputs.Kind.MODEL))
            .startsWith("--out " + tmp.resolve("images") + " contains --data " + data));
  }

  @Test
  void aDirectoryWrittenIntoMayHoldTheReports() {
    Path kept = tmp.resolve("kept");
    reading()
        .optOutput("--out", kept, Outputs.Kind.DIRECTORY)
        .optOutput("--report", kept.resolve("r.json"), Outputs.Kind.FILE)
        .build()
        .close();
    assertFalse(Files.exists(kept));
  }

  @Test
  void aTargetThatCannotBeWrittenIsRefusedBeforeAnyWork() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("d"));
    assertEquals(
        "--report " + dir + ": is a directory; give a file name",
        refusal(reading().optOutput("--report", dir, Outputs.Kind.FILE)));
    assertEquals(
        "--report "
            + model.resolve("r.json")
            + ": cannot be created, "
            + model
            + " is a file, not a directory",
        refusal(reading().optOutput("--report", model.resolve("r.json"), Outputs.Kind.FILE)));
    Path cwd = Path.of("").toAbsolutePath();
    Path relative = cwd.relativize(model.resolve("x/y/r.json"));
    assertEquals(
        "--report "
            + relative
            + ": cannot be created, "
            + cwd.relativize(model)
            + " is a file, not a directory",
        refusal(reading().optOutput("--report", relative, Outputs.Kind.FILE)));
    assertEquals(
        "--out " + model + ": exists and is not a directory",
        refusal(Outputs.builder().optOutput("--out", model, Outputs.Kind.DIRECTORY)));
  }

  @Test
  void anUnwritableDirectoryIsRefusedBeforeAnyWork() {
    // /proc/self is not writable, even for root: a parent no permission bit can open.
    Path proc = Path.of("/proc/self");
    assertTrue(Files.isDirectory(proc), "the tests run on Linux, which has /proc");
    assertEquals(
        "--report /proc/self/r.json: cannot be written, the directory /proc/self is not writable",
        refusal(reading().optOutput("--report", proc.resolve("r.json"), Outputs.Kind.FILE)));
  }

  @Test
  void aFailedRunRemovesWhatItWrote() throws IOException {
    Path first = tmp.resolve("a.json");
    Path sub = Files.createDirectories(tmp.resolve("sub"));
    Path second = sub.resolve("b.json");
    Path model8 = Files.createDirectories(tmp.resolve("m8"));
    Files.writeString(model8.resolve("weights"), "w");
    IOException failure;
    try (Outputs outputs =
        reading()
            .optOutput("--out", model8, Outputs.Kind.MODEL)
            .optOutput("--report", first, Outputs.Kind.FILE)
            .optOutput("--report", second, Outputs.Kind.FILE)
            .build()) {
      outputs.written(model8);
      outputs.writeText(first, "{}");
      assertTrue(Files.isRegularFile(first));
      // The second report's directory turns into a file after the check, as in a race.
      Files.delete(sub);
      Files.writeString(sub, "in the way");
      failure = assertThrows(IOException.class, () -> outputs.writeText(second, "{}"));
    }
    assertTrue(
        failure.getMessage().startsWith("--report " + second + ": cannot write it ("),
        failure.getMessage());
    assertFalse(Files.exists(first), "the first report is removed");
    assertFalse(Files.exists(model8), "the model is removed");
    assertTrue(Files.exists(model));
  }

  @Test
  void aCommittedRunKeepsItsOutputsWithTheUsualMode() throws IOException {
    Path report = tmp.resolve("r.json");
    try (Outputs outputs = reading().optOutput("--report", report, Outputs.Kind.FILE).build()) {
      outputs.writeText(report, "{\"x\": 1}");
      outputs.commit();
    }
    assertEquals("{\"x\": 1}", Files.readString(report, StandardCharsets.UTF_8));
    Set<PosixFilePermission> usual =
        Files.getPosixFilePermissions(Files.writeString(tmp.resolve("reference"), ""));
    assertEquals(usual, Files.getPosixFilePermissions(report));
    assertThrows(
        IllegalArgumentException.class,
        () -> {
          try (Outputs o = reading().build()) {
            o.writeText(report, "not an output of this run");
          }
        });
  }
}
