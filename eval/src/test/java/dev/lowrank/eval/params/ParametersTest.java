package dev.lowrank.eval.params;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.compress.Compressor;
import dev.lowrank.compress.LayerSpectrum;
import dev.lowrank.compress.RankPolicy;
import dev.lowrank.eval.testing.DigitsFixtures;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFormats;
import dev.lowrank.format.SourceModel;
import dev.lowrank.linalg.FloatMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParametersTest {

  @TempDir Path tmp;

  @Test
  void pairsLayersByNameAndCountsFactorizedOnesAsRTimesNPlusM() {
    ModelParameters original =
        new ModelParameters(
            10_100 + 1_010 + 7,
            List.of(Layer.linear("fc1", 100, 100, true), Layer.linear("fc2", 10, 100, true)),
            "fake");
    Layer fc1 = Layer.linear("fc1", 100, 100, true).withLowRank(2);
    ModelParameters compressed = new ModelParameters(400 + 100 + 1_010 + 7, List.of(fc1), "fake");
    ParameterComparison c = ParameterComparison.of(original, compressed);
    assertEquals(11_117, c.original());
    assertEquals(1_517, c.compressed());
    assertEquals(1_517.0 / 11_117, c.ratio(), 1e-12);
    LayerParameters l1 = c.layers().get(0);
    assertEquals(10_100, l1.original());
    assertEquals(500, l1.compressed().getAsLong());
    assertEquals(2, l1.rank().getAsInt());
    assertEquals("100x100", l1.layer().shape());
    LayerParameters l2 = c.layers().get(1);
    assertFalse(l2.compressed().isPresent(), "fc2 is missing from the compressed model");
    assertEquals(1.0, l2.ratio(), 0);
  }

  @Test
  void readsTheDigitsMlpAndItsCompressedVersion() throws Exception {
    ModelParameters o = ModelParameters.read(DigitsFixtures.mlp());
    ModelParameters r8 = ModelParameters.read(DigitsFixtures.compressed(RankPolicy.rank(8)));
    ParameterComparison c = ParameterComparison.of(o, r8);
    assertEquals(6570, c.original());
    // 64x64 and 32x64 at rank 8 (8 * 128 + 64, 8 * 96 + 32); the 10x32 head stays dense since
    // 8 * 42 > 320.
    assertEquals(1088 + 800 + 330, c.compressed());
    assertEquals(List.of(8, 8, -1), c.layers().stream().map(l -> l.rank().orElse(-1)).toList());
    assertEquals("djl", c.source());
  }

  @Test
  void diskSizeOfADirectoryIsTheSumOfItsFiles() throws Exception {
    Files.write(tmp.resolve("a"), new byte[100]);
    Files.createDirectories(tmp.resolve("sub"));
    Files.write(tmp.resolve("sub/b"), new byte[23]);
    assertEquals(123, DiskSize.of(tmp));
    assertEquals(23, DiskSize.of(tmp.resolve("sub/b")));
  }

  @Test
  void spectraAreDescendingAndHoldTheWeightsEnergy() throws Exception {
    Path model = DigitsFixtures.mlp();
    List<LayerSpectrum> spectra = Compressor.spectra(model, 2048);
    assertEquals(3, spectra.size());
    assertArrayEquals(
        new int[] {64, 32, 10},
        spectra.stream().mapToInt(s -> s.singularValues().length).toArray());
    try (SourceModel source = ModelFormats.open(model)) {
      for (int k = 0; k < 3; k++) {
        float[] s = spectra.get(k).singularValues();
        double energy = 0;
        for (int i = 0; i < s.length; i++) {
          energy += (double) s[i] * s[i];
          if (i > 0) {
            assertTrue(s[i] <= s[i - 1], "descending");
          }
        }
        FloatMatrix w = source.readWeight(source.layers().get(k));
        assertEquals(w.frobeniusNormSquared(), energy, 1e-4 * energy);
      }
    }
    assertEquals(1, spectra.get(0).rankForEnergy(1e-9));
    assertEquals(64, spectra.get(0).rankForEnergy(1.0));
    assertEquals(
        2, Compressor.spectra(model, 32).size(), "layers above the size limit are skipped");
  }
}
