package dev.lowrank.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outputs appear whole or not at all, never replace what must not be lost, and errors say why. */
class OutputFilesTest {

  @TempDir Path tmp;

  @Test
  void aForeignFileIsReplacedOnlyWhenForced() throws Exception {
    Path in = Files.writeString(tmp.resolve("in.pt"), "model");
    Path out = Files.writeString(tmp.resolve("notes.txt"), "precious");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> OutputFiles.checkTarget(in, out, OutputFiles.Kind.FILE, false, p -> false));
    assertTrue(
        e.getMessage().startsWith(out + ": exists and is not a lowrank output"), e.toString());
    assertTrue(e.getMessage().contains("--force"), e.getMessage());
    OutputFiles.checkTarget(in, out, OutputFiles.Kind.FILE, true, p -> false);
    OutputFiles.checkTarget(in, out, OutputFiles.Kind.FILE, false, p -> true);
    assertEquals("precious", Files.readString(out), "checking never changes anything");
  }

  @Test
  void devicesAndFifosAreNeverReplaced() throws Exception {
    Path in = Files.writeString(tmp.resolve("in.pt"), "model");
    Path fifo = tmp.resolve("pipe");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertEquals(0, mkfifo.waitFor(), "mkfifo is part of coreutils");
    for (Path special : List.of(fifo, Path.of("/dev/null"))) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> OutputFiles.checkTarget(in, special, OutputFiles.Kind.FILE, true, p -> true));
      assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }
    assertTrue(Files.exists(Path.of("/dev/null")));
  }

  @Test
  void theInputItsFolderAndItsAliasesAreNeverTheOutput() throws Exception {
    Path in = Files.writeString(tmp.resolve("in.pt"), "model");
    Path link = tmp.resolve("link.pt");
    Files.createSymbolicLink(link, in);
    Path hard = tmp.resolve("hard.pt");
    Files.createLink(hard, in);
    Path dotted = tmp.resolve("sub/../in.pt");
    for (Path alias : List.of(in, link, hard, dotted)) {
      assertThrows(
          IllegalArgumentException.class,
          () -> OutputFiles.checkTarget(in, alias, OutputFiles.Kind.FILE, true, p -> true),
          alias.toString());
    }
    Path dir = Files.createDirectories(tmp.resolve("djl"));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            OutputFiles.checkTarget(
                dir, dir.resolve("out"), OutputFiles.Kind.DIRECTORY, true, p -> true));
  }

  @Test
  void aNonEmptyForeignDirectoryIsRefusedEvenWhenForced() throws Exception {
    Path in = Files.createDirectories(tmp.resolve("in"));
    Path out = Files.createDirectories(tmp.resolve("photos"));
    Files.writeString(out.resolve("a.jpg"), "x");
    assertThrows(
        IllegalArgumentException.class,
        () -> OutputFiles.checkTarget(in, out, OutputFiles.Kind.DIRECTORY, true, p -> false));
    OutputFiles.checkTarget(
        in,
        Files.createDirectories(tmp.resolve("empty")),
        OutputFiles.Kind.DIRECTORY,
        false,
        p -> false);
  }

  @Test
  void aFileWhereAFolderMustBeIsReportedBeforeAnyWork() throws Exception {
    Path in = Files.writeString(tmp.resolve("in.pt"), "model");
    Path file = Files.writeString(tmp.resolve("m.pt"), "x");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                OutputFiles.checkTarget(
                    in, file.resolve("r.json"), OutputFiles.Kind.FILE, false, p -> false));
    assertTrue(e.getMessage().contains(file + " is a file, not a folder"), e.getMessage());
  }

  @Test
  void aFileAppearsWholeWithMode644OrNotAtAll() throws Exception {
    Path out = tmp.resolve("nested/out.bin");
    OutputFiles.writeFile(out, t -> Files.write(t, new byte[] {1, 2, 3}));
    assertEquals(3, Files.size(out));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
    Path failed = tmp.resolve("failed.bin");
    assertThrows(
        IOException.class,
        () ->
            OutputFiles.writeFile(
                failed,
                t -> {
                  Files.write(t, new byte[100]);
                  throw new IOException("disk trouble");
                }));
    assertFalse(Files.exists(failed));
    assertEquals(List.of("out.bin"), names(tmp.resolve("nested")), "no temporary file is left");
    assertEquals(List.of("nested"), names(tmp), "no temporary file is left");
    assertTrue(TemporaryFiles.tracked().isEmpty(), "nothing is left to delete at exit");
  }

  @Test
  void aLongButLegalNameGetsATemporaryNameThatFits() throws Exception {
    Path out = tmp.resolve("m".repeat(240) + ".pt");
    OutputFiles.writeString(out, "x");
    assertEquals("x", Files.readString(out));
    Path sibling = OutputFiles.sibling(tmp.resolve("é".repeat(127) + ".pt"), "tmp");
    assertTrue(
        sibling.getFileName().toString().getBytes(StandardCharsets.UTF_8).length
            <= OutputFiles.NAME_LIMIT,
        sibling.toString());
  }

  @Test
  void errorsNameTheUsersPathAndTheReason() throws Exception {
    IOException proc =
        assertThrows(
            IOException.class, () -> OutputFiles.writeString(Path.of("/proc/lowrank/out.pt"), "x"));
    assertTrue(
        proc.getMessage().startsWith("/proc/lowrank/out.pt: cannot be written ("),
        proc.getMessage());
    assertFalse(proc.getMessage().contains(".lowrank-tmp"), proc.getMessage());
    Path tooLong = tmp.resolve("x".repeat(300));
    IOException longName =
        assertThrows(IOException.class, () -> OutputFiles.writeString(tooLong, "x"));
    assertTrue(
        longName.getMessage().startsWith(tooLong + ": cannot be written ("), longName.getMessage());
    IOException full =
        OutputFiles.explain(
            Path.of("out/m.pt"),
            new FileSystemException("out/.m.pt.lowrank-tmp-1234", null, "No space left on device"));
    assertEquals("out/m.pt: cannot be written (no space left on the device)", full.getMessage());
    IOException named =
        OutputFiles.explain(
            Path.of("out/m.pt"),
            new FileSystemException("out/.m.pt.lowrank-tmp-1234", null, "File name too long"));
    assertEquals(
        "out/m.pt: cannot be written (the file name is too long for the file system)",
        named.getMessage());
  }

  @Test
  void aDirectoryIsReplacedOnlyAsAWhole() throws Exception {
    Path out = tmp.resolve("model");
    OutputFiles.writeDirectory(out, d -> Files.writeString(d.resolve("a"), "1"));
    assertThrows(
        IOException.class,
        () ->
            OutputFiles.writeDirectory(
                out,
                d -> {
                  Files.writeString(d.resolve("b"), "2");
                  throw new IOException("interrupted");
                }));
    assertEquals(List.of("a"), names(out), "the previous output is intact");
    assertEquals(List.of("model"), names(tmp));
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void quotesAreBounded() {
    String quoted = InputFileException.quote("x".repeat(50_000_000));
    assertTrue(quoted.length() < 200, quoted.length() + " characters");
    assertTrue(quoted.endsWith("(50000000 characters)"), quoted);
    assertEquals("'a?b'", InputFileException.quote("a\nb"));
  }
}
