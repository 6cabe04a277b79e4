package dev.lowrank.eval.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lowrank.data.DataFileException;
import dev.lowrank.data.DataSource;
import dev.lowrank.data.Dataset;
import dev.lowrank.data.SampleShape;
import dev.lowrank.eval.progress.Progress;
import dev.lowrank.eval.testing.DigitsFixtures;
import dev.lowrank.testing.OpenModels;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The baseline closes the original model whatever stops it after the model was loaded. */
class BaselineTest {

  /** A data source that fails with a given throwable once the model is loaded. */
  private static DataSource failing(RuntimeException unchecked, Error error) {
    return new DataSource() {
      @Override
      public Path path() {
        return Path.of("failing.csv");
      }

      @Override
      public Dataset load(Optional<SampleShape> modelInput) throws DataFileException {
        if (unchecked != null) {
          throw unchecked;
        }
        if (error != null) {
          throw error;
        }
        throw new DataFileException(path(), "is empty");
      }
    };
  }

  private static Throwable prepareFails(DataSource source) throws Exception {
    Path model = DigitsFixtures.mlp();
    long open = OpenModels.count();
    Throwable t =
        assertThrows(
            Throwable.class,
            () -> Baseline.prepare(model, source, Optional.empty(), 64, Progress.none()).close());
    assertEquals(open, OpenModels.count(), "the original model was left open");
    return t;
  }

  @Test
  void aBadDataFileClosesTheModel() throws Exception {
    assertEquals(DataFileException.class, prepareFails(failing(null, null)).getClass());
  }

  @Test
  void anUncheckedFailureClosesTheModel() throws Exception {
    IllegalStateException bug = new IllegalStateException("a bug");
    assertSame(bug, prepareFails(failing(bug, null)));
  }

  @Test
  void anErrorClosesTheModel() throws Exception {
    StackOverflowError error = new StackOverflowError("deep");
    assertSame(error, prepareFails(failing(null, error)));
  }
}
