package dev.lowrank.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Temporary files do not outlive an interrupted process. */
class TemporaryFilesTest {

  /** A process that holds a tracked temporary folder and an output being written, then waits. */
  public static final class Child {
    private Child() {}

    /**
     * Creates the files, prints their paths and waits to be terminated.
     *
     * @param args the output path to write
     * @throws Exception never expected
     */
    public static void main(String[] args) throws Exception {
      Path work = TemporaryFiles.createDirectory("lowrank-child");
      Files.writeString(work.resolve("factors.f32"), "x".repeat(1000));
      OutputFiles.writeFile(
          Path.of(args[0]),
          tmp -> {
            Files.writeString(tmp, "partial");
            System.out.println(work);
            System.out.println(tmp);
            System.out.flush();
            try {
              Thread.sleep(60_000);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
    }
  }

  @Test
  void sigtermRemovesTrackedFilesAndPartialOutputs() throws Exception {
    Path dir = Files.createTempDirectory("lowrank-interrupt");
    Path out = dir.resolve("out.pt");
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Child.class.getName(),
                out.toString())
            .redirectErrorStream(true)
            .start();
    Path work;
    Path partial;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      work = Path.of(r.readLine());
      partial = Path.of(r.readLine());
      assertTrue(Files.exists(work.resolve("factors.f32")));
      assertTrue(Files.exists(partial));
      child.destroy(); // SIGTERM, as a user's kill or CI's cancel sends
      assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child exits on SIGTERM");
    }
    assertFalse(Files.exists(work), "the temporary folder is gone");
    assertFalse(Files.exists(partial), "the partial output is gone");
    assertFalse(Files.exists(out), "no output appeared");
    try (var left = Files.list(dir)) {
      assertEquals(0, left.count());
    }
    Files.delete(dir);
  }
}
