package dev.lowrank.format.djl;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.util.Pair;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormat;
import dev.lowrank.format.SourceModel;
import dev.lowrank.io.OutputFiles;
import dev.lowrank.runtime.ManifestFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * DJL block models: a directory holding {@code serving.properties} (with {@code
 * blockFactory=<class>} and {@code engine=PyTorch}) and one {@code <name>-<epoch>.params} file
 * written by {@code Model.save}. The block factory class must be on the classpath (or in the
 * directory's {@code classes/} folder or a jar there, as DJL allows).
 *
 * <p>Models are loaded through DJL's own {@link Criteria}, as an inference service loads them,
 * after {@link DjlLoader#checkDirectory} has checked the block factory and the parameter file; a
 * model loaded for a source that then cannot be opened is closed before the error is thrown.
 */
public final class DjlModelFormat implements ModelFormat {

  private static final Pattern PARAMS = Pattern.compile("(.+)-(\\d{4})\\.params");

  @Override
  public String name() {
    return "djl";
  }

  @Override
  public OutputFiles.Kind outputKind() {
    return OutputFiles.Kind.DIRECTORY;
  }

  /**
   * Recognizes a lowrank output by its manifest file, without loading the model.
   *
   * @param path an existing file or directory
   * @return whether it is a DJL model directory holding a lowrank manifest
   */
  @Override
  public boolean isLowrankOutput(Path path) {
    Path dir = directoryOf(path);
    return dir != null && Files.isRegularFile(dir.resolve(ManifestFile.FILE_NAME));
  }

  @Override
  public boolean accepts(Path path) {
    Path dir = directoryOf(path);
    return dir != null
        && (Files.isRegularFile(dir.resolve("serving.properties")) || !paramFiles(dir).isEmpty());
  }

  @Override
  public SourceModel open(Path path) throws ModelFileException {
    Path dir = directoryOf(path);
    if (dir == null) {
      throw new ModelFileException(path, "not a DJL model directory");
    }
    Path props = dir.resolve("serving.properties");
    if (!Files.isRegularFile(props)) {
      throw new ModelFileException(
          path,
          "a DJL model directory needs a serving.properties naming its blockFactory (the class"
              + " that builds the model's blocks)");
    }
    Properties serving = new Properties();
    try (InputStream in = Files.newInputStream(props)) {
      serving.load(in);
    } catch (IOException | IllegalArgumentException e) {
      throw new ModelFileException(
          props, "cannot read serving.properties (" + e.getMessage() + ")", e);
    }
    String factory = serving.getProperty("blockFactory");
    if (factory == null || factory.isBlank()) {
      throw new ModelFileException(props, "has no blockFactory=<class> entry");
    }
    List<Path> params = paramFiles(dir);
    if (params.isEmpty()) {
      throw new ModelFileException(path, "holds no <name>-<epoch>.params file");
    }
    Matcher m = PARAMS.matcher(params.get(params.size() - 1).getFileName().toString());
    if (!m.matches()) {
      throw new ModelFileException(path, "unexpected parameter file name");
    }
    String modelName = m.group(1);
    Path paramFile = params.get(params.size() - 1);
    DjlLoader.checkDirectory(dir, modelName);
    Criteria<NDList, NDList> criteria =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(dir)
            .optModelName(modelName)
            .optEngine("PyTorch")
            .optTranslator(new NoopTranslator())
            .build();
    ZooModel<NDList, NDList> model;
    try {
      model = DjlLoader.load(criteria);
    } catch (ModelNotFoundException | MalformedModelException | IOException e) {
      throw new ModelFileException(path, "DJL cannot load the model (" + oneLine(e) + ")", e);
    } catch (RuntimeException e) {
      throw new ModelFileException(
          path,
          "DJL cannot load the model with blockFactory " + factory + " (" + oneLine(e) + ")",
          e);
    }
    try {
      checkLoaded(model, paramFile);
      return new DjlSourceModel(dir, model, true, serving, modelName);
    } catch (Throwable e) {
      try {
        model.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** Every parameter of a loaded block must have values (DJL loads a foreign file as nothing). */
  private static void checkLoaded(ZooModel<NDList, NDList> model, Path paramFile)
      throws ModelFileException {
    if (model.getBlock() == null) {
      throw new ModelFileException(paramFile, "was loaded by DJL without a block");
    }
    for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
      if (!p.getValue().isInitialized()) {
        throw new ModelFileException(
            paramFile,
            "holds no values for parameter "
                + p.getKey()
                + " (is it a parameter file of this model?)");
      }
    }
  }

  private static String oneLine(Throwable e) {
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return msg.replaceAll("\\s+", " ").trim();
  }

  private static Path directoryOf(Path path) {
    if (Files.isDirectory(path)) {
      return path;
    }
    if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".params")) {
      return path.toAbsolutePath().getParent();
    }
    return null;
  }

  private static List<Path> paramFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> PARAMS.matcher(p.getFileName().toString()).matches())
          .sorted()
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
