package dev.lowrank.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.datasets.Digits;
import dev.lowrank.eval.testing.DataFiles;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvReaderTest {

  @TempDir Path tmp;

  @Test
  void readsTheDigitsTestSplitWithItsLabels() throws Exception {
    Dataset digits = Digits.test();
    Path csv = DataFiles.writeCsv(tmp.resolve("digits.csv"), digits, "label");
    Dataset d = Datasets.read(csv);
    assertEquals(360, d.size());
    assertEquals(64, d.featureCount());
    assertArrayEquals(digits.labels().orElseThrow(), d.labels().orElseThrow());
    assertArrayEquals(digits.features(17), d.features(17), 0f);
    assertEquals(10, d.labelRange().getAsInt());
    assertEquals("csv", d.format());
    assertEquals(csv, d.source());
  }

  @Test
  void labelColumnCanBeAnywhereAndNamedOtherwise() throws Exception {
    Path csv = tmp.resolve("small.csv");
    Files.writeString(csv, "a,digit,b\n1,2,3\n4.5,0,-6\n\n");
    Dataset d = Datasets.read(csv, DataOptions.builder().optLabelColumn("digit").build());
    assertArrayEquals(new int[] {2, 0}, d.labels().orElseThrow());
    assertArrayEquals(new float[] {4.5f, -6f}, d.features(1), 0f);
  }

  @Test
  void unlabeledReadsEveryColumnAsAFeature() throws Exception {
    Path csv = tmp.resolve("u.csv");
    Files.writeString(csv, "a,b\n1,2\n3,4\n");
    Dataset d = Datasets.read(csv, DataOptions.builder().optUnlabeled().build());
    assertFalse(d.labeled());
    assertEquals(2, d.featureCount());
  }

  @Test
  void readsGzippedCsv() throws Exception {
    Path gz = tmp.resolve("d.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write("x,label\n0.5,1\n0.25,0\n".getBytes(StandardCharsets.UTF_8));
    }
    Dataset d = Datasets.read(gz);
    assertEquals(2, d.size());
    assertEquals(1, d.label(0));
  }

  @Test
  void absentLabelColumnNamesTheFileTheColumnAndTheColumnsThere() throws Exception {
    Path csv = tmp.resolve("nolabel.csv");
    Files.writeString(csv, "a,b,c\n1,2,3\n");
    DataFileException e =
        assertThrows(
            DataFileException.class,
            () -> Datasets.read(csv, DataOptions.builder().optLabelColumn("digit").build()));
    assertEquals(
        csv
            + ": label column 'digit' is absent (columns: a, b, c); name it with --label-column,"
            + " or read the data unlabeled",
        e.getMessage());
  }

  @Test
  void malformedFilesFailWithTheLineAndColumn() throws Exception {
    assertProblem("x,label\n1,2\nabc,3\n", "line 3, column 'x': 'abc' is not a number");
    assertProblem("x,label\n1,2\n1,2,3\n", "line 3 has 3 cells, the header 2");
    assertProblem("x,label\n1,2.5\n", "line 2, column 'label': label 2.5 is not a class index");
    assertProblem("x,label\n1,-1\n", "label -1.0 is not a class index");
    assertProblem("x,label\nNaN,1\n", "NaN is not finite");
    assertProblem("", "is empty");
    assertProblem("x,label\n", "holds a header but no samples");
    assertProblem("label\n1\n", "has no feature column besides the labels");
  }

  @Test
  void aLabelTooLargeForAClassIndexIsRefusedNotClamped() throws Exception {
    assertProblem(
        "x,label\n1,2\n1,99999999999999999999\n",
        "line 3, column 'label': label '99999999999999999999' is out of range: a class index is at"
            + " most 16777215");
    // 2^24 would be read as float32 like 2^24 + 1: the first value that cannot be kept exactly.
    assertProblem("x,label\n1,16777216\n", "label '16777216' is out of range");
    Path csv = tmp.resolve("largest.csv");
    Files.writeString(csv, "x,label\n1,16777215\n");
    assertArrayEquals(new int[] {16_777_215}, Datasets.read(csv).labels().orElseThrow());
  }

  @Test
  void missingFileAndUnknownFormat() throws Exception {
    Path missing = tmp.resolve("missing.csv");
    DataFileException e = assertThrows(DataFileException.class, () -> Datasets.read(missing));
    assertEquals(missing + ": no such file or directory", e.getMessage());
    Path txt = tmp.resolve("data.txt");
    Files.writeString(txt, "1,2\n");
    e = assertThrows(DataFileException.class, () -> Datasets.read(txt));
    assertTrue(e.getMessage().startsWith(txt + ": unknown data format"), e.getMessage());
  }

  private void assertProblem(String content, String problem) throws Exception {
    Path csv = Files.createTempFile(tmp, "bad", ".csv");
    Files.writeString(csv, content);
    DataFileException e = assertThrows(DataFileException.class, () -> Datasets.read(csv));
    assertTrue(e.getMessage().startsWith(csv + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(problem), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }
}
