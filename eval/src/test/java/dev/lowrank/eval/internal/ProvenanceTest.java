package dev.lowrank.eval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lowrank.compress.CompressionSpec;
import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.eval.testing.DigitsFixtures;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.io.Fingerprint;
import dev.lowrank.runtime.ManifestFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The check that a compressed model was made from the original it is compared with. */
class ProvenanceTest {

  @TempDir static Path shared;
  @TempDir Path tmp;
  static Path mlp;
  static Path cnn;
  static Path mlp4;

  @BeforeAll
  static void compressTheMlp() throws Exception {
    mlp = copy("mlp_scripted.pt");
    cnn = copy("cnn_scripted.pt");
    mlp4 = shared.resolve("mlp4.pt");
    Compressor.compress(mlp, mlp4, CompressionSpec.builder().setPolicy(RankPolicy.rank(4)).build());
  }

  @Test
  void aModelCompressedFromAnotherOneFailsNamingBothFiles() throws Exception {
    ModelFileException e =
        assertThrows(ModelFileException.class, () -> Provenance.check(cnn, mlp4));
    assertEquals(
        mlp4
            + ": was compressed from 'mlp_scripted.pt' with SHA-256 "
            + Fingerprint.sha256(mlp).substring(0, 12)
            + "..., not from "
            + cnn
            + " (SHA-256 "
            + Fingerprint.sha256(cnn).substring(0, 12)
            + "...); give --model the model it was compressed from",
        e.getMessage());
    assertEquals(mlp4, e.file());
  }

  @Test
  void itsSourceOrAByteIdenticalCopyPasses() throws Exception {
    assertEquals(List.of(), Provenance.check(mlp, mlp4));
    Path copy = Files.copy(mlp, tmp.resolve("renamed.pt"));
    assertEquals(List.of(), Provenance.check(copy, mlp4), "the content counts, not the name");
  }

  @Test
  void aModelWithoutManifestIsComparedWithAWarning() throws Exception {
    assertEquals(
        List.of(
            cnn
                + ": has no lowrank manifest, so it cannot be checked that it was compressed from "
                + mlp
                + "; compared anyway"),
        Provenance.check(mlp, cnn));
    Path bytes = Files.write(tmp.resolve("model.bin"), new byte[] {1, 2, 3});
    List<String> foreign = Provenance.check(mlp, bytes);
    assertEquals(1, foreign.size());
    assertTrue(
        foreign.get(0).startsWith(bytes + ": is in no format lowrank writes (it has no manifest)"),
        foreign.get(0));
  }

  @Test
  void aDjlManifestWithoutTheSourcesHashOrUnreadableWarns() throws Exception {
    Path original = DigitsFixtures.mlp();
    Path compressed = copyTree(DigitsFixtures.compressed(RankPolicy.rank(8)), tmp.resolve("c"));
    assertEquals(List.of(), Provenance.check(original, compressed), "a DJL directory's hash");

    Path manifest = compressed.resolve(ManifestFile.FILE_NAME);
    JsonObject json = JsonParser.parseString(Files.readString(manifest)).getAsJsonObject();
    json.getAsJsonObject("input").add("sha256", JsonNull.INSTANCE);
    Files.writeString(manifest, json.toString());
    List<String> noHash = Provenance.check(original, compressed);
    assertEquals(1, noHash.size());
    assertTrue(
        noHash
            .get(0)
            .startsWith(
                compressed
                    + ": its manifest records no SHA-256 of its source (it was compressed in"
                    + " memory), so it cannot be checked"),
        noHash.get(0));

    Files.writeString(manifest, "{ not json");
    List<String> unreadable = Provenance.check(original, compressed);
    assertEquals(1, unreadable.size());
    assertTrue(
        unreadable.get(0).startsWith(compressed + ": its lowrank manifest cannot be read ("),
        unreadable.get(0));
  }

  @Test
  void missingFilesAreLeftToTheLoaders() throws Exception {
    assertEquals(List.of(), Provenance.check(tmp.resolve("none.pt"), mlp4));
    assertEquals(List.of(), Provenance.check(mlp, tmp.resolve("none.pt")));
  }

  private static Path copy(String name) throws IOException {
    Path out = shared.resolve(name);
    try (InputStream in =
        ProvenanceTest.class.getResourceAsStream("/dev/lowrank/datasets/torchscript/" + name)) {
      Files.copy(in, out);
    }
    return out;
  }

  private static Path copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    return to;
  }
}
