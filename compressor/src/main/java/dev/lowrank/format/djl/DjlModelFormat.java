package dev.lowrank.format.djl;

import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormat;
import dev.lowrank.format.SourceModel;
import java.nio.file.Path;

/** DJL block models: a directory with {@code serving.properties} and a {@code .params} file. */
public final class DjlModelFormat implements ModelFormat {

  @Override
  public String name() {
    return "djl";
  }

  @Override
  public boolean accepts(Path path) {
    return false;
  }

  @Override
  public SourceModel open(Path path) throws ModelFileException {
    throw new ModelFileException(path, "DJL models are not readable yet");
  }
}
