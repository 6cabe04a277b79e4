package dev.lowrank.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.datasets.Digits;
import dev.lowrank.eval.testing.DataFiles;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {

  @TempDir Path tmp;

  @Test
  void digitsWrittenAsPngsReadBackAsTheirPixels() throws Exception {
    Dataset digits = Digits.test().select(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    Path dir = DataFiles.writeImageFolder(tmp.resolve("imgs"), digits, 1);
    for (SampleShape shape : List.of(SampleShape.flat(64), SampleShape.of(1, 8, 8))) {
      Dataset d = Datasets.read(dir, DataOptions.builder().optImageShape(shape).build());
      assertEquals(12, d.size());
      assertEquals(64, d.featureCount());
      assertEquals(shape, d.shape().orElseThrow());
      assertEquals("images", d.format());
      assertEquals(10, d.classNames().orElseThrow().size());
      // Samples come in class order, then file order; match each back to its source digit.
      int[] order = DataFiles.imageFolderOrder(digits);
      for (int i = 0; i < d.size(); i++) {
        int src = order[i];
        assertEquals(digits.label(src), d.label(i));
        assertArrayEquals(digits.features(src), d.features(i), 0.5f / 255 + 1e-6f);
      }
    }
  }

  @Test
  void withoutAShapeImagesKeepTheirSizeInGrayscale() throws Exception {
    Dataset digits = Digits.test().select(0, 1);
    Path dir = DataFiles.writeImageFolder(tmp.resolve("imgs"), digits, 1);
    Dataset d = Datasets.read(dir);
    assertEquals(SampleShape.of(8, 8), d.shape().orElseThrow());
    assertEquals(64, d.featureCount());
  }

  @Test
  void resizesAndConvertsToRgb() throws Exception {
    Dataset digits = Digits.test().select(0);
    Path dir = DataFiles.writeImageFolder(tmp.resolve("imgs"), digits, 2);
    Dataset gray =
        Datasets.read(dir, DataOptions.builder().optImageShape(SampleShape.of(8, 8)).build());
    assertEquals(64, gray.featureCount());
    Dataset rgb =
        Datasets.read(dir, DataOptions.builder().optImageShape(SampleShape.of(3, 8, 8)).build());
    assertEquals(192, rgb.featureCount());
    float[] c = rgb.features(0);
    // Gray images: the three channel planes are equal, and equal to the grayscale values.
    for (int p = 0; p < 64; p++) {
      assertEquals(c[p], c[64 + p], 1e-6f);
      assertEquals(c[p], c[128 + p], 1e-6f);
      assertEquals(gray.features(0)[p], c[p], 1.5f / 255);
    }
    // A 16x16 upscaled digit resized back to 8x8 stays close to the original pixels.
    assertArrayEquals(digits.features(0), gray.features(0), 0.2f);
  }

  @Test
  void badFoldersFailWithOneLineMessages() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    DataFileException e = assertThrows(DataFileException.class, () -> Datasets.read(empty));
    assertTrue(e.getMessage().startsWith(empty + ": is a folder without class sub-folders"));

    Path noImages = Files.createDirectories(tmp.resolve("noimg/cat"));
    Files.writeString(noImages.resolve("notes.txt"), "x");
    e = assertThrows(DataFileException.class, () -> Datasets.read(noImages.getParent()));
    assertTrue(e.getMessage().contains("holds no image"), e.getMessage());

    Path broken = Files.createDirectories(tmp.resolve("broken/cat"));
    Files.writeString(broken.resolve("a.png"), "not a png");
    e = assertThrows(DataFileException.class, () -> Datasets.read(broken.getParent()));
    assertTrue(e.getMessage().startsWith(broken.resolve("a.png") + ": "), e.getMessage());

    Path mixed = Files.createDirectories(tmp.resolve("mixed/a"));
    ImageIO.write(
        new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY),
        "png",
        mixed.resolve("1.png").toFile());
    ImageIO.write(
        new BufferedImage(9, 8, BufferedImage.TYPE_BYTE_GRAY),
        "png",
        mixed.resolve("2.png").toFile());
    e = assertThrows(DataFileException.class, () -> Datasets.read(mixed.getParent()));
    assertTrue(e.getMessage().contains("is 9x8 pixels, the first image 8x8"), e.getMessage());

    e =
        assertThrows(
            DataFileException.class,
            () ->
                Datasets.read(
                    mixed.getParent(),
                    DataOptions.builder().optImageShape(SampleShape.flat(63)).build()));
    assertTrue(
        e.getMessage().contains("cannot be converted to the input shape 63"), e.getMessage());
  }
}
