package dev.lowrank.format.djl;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.repository.MRL;
import ai.djl.repository.zoo.BaseModelLoader;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.util.ClassLoaderUtils;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.runtime.LowRankBlockFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Loads models through DJL's {@link Criteria}, as an inference service does, without DJL's loose
 * ends on bad input; every place lowrank loads a model with DJL goes through it:
 *
 * <ul>
 *   <li>{@link #load} closes the model DJL created for a load that then fails (a file libtorch
 *       refuses, a block factory that throws); DJL itself leaves it to the garbage collector, whose
 *       finalizer logs "Model ... was not closed explicitly";
 *   <li>{@link #checkDirectory} checks a DJL model directory before DJL reads it: each block
 *       factory its {@code serving.properties} names must load as an {@link BlockFactory} and be
 *       created (DJL would log "Failed to load class" and then fail), and the parameter file DJL
 *       will read must start with DJL's header (DJL would load a model without any parameter
 *       values).
 * </ul>
 */
public final class DjlLoader {

  /** The first bytes of every parameter file {@code Model.save} writes. */
  private static final byte[] PARAMS_MAGIC = "DJL@".getBytes(StandardCharsets.US_ASCII);

  private static final int MAX_QUOTED = 100;

  private static final int MAX_MESSAGE = 300;

  private DjlLoader() {}

  /**
   * Loads a model like {@link Criteria#loadModel()}, and closes every model DJL created on the way
   * if the load fails.
   *
   * @param <I> the input type
   * @param <O> the output type
   * @param criteria the criteria, with a model path or URL
   * @return the loaded model, to be closed by the caller
   * @throws ModelNotFoundException as {@link Criteria#loadModel()}
   * @throws MalformedModelException as {@link Criteria#loadModel()}
   * @throws IOException as {@link Criteria#loadModel()}
   */
  public static <I, O> ZooModel<I, O> load(Criteria<I, O> criteria)
      throws ModelNotFoundException, MalformedModelException, IOException {
    ModelZoo zoo = criteria.getModelZoo();
    if (zoo == null) {
      return criteria.loadModel();
    }
    return criteria.toBuilder().optModelZoo(new ClosingZoo(zoo)).build().loadModel();
  }

  /**
   * Checks a DJL model directory before DJL loads it: the {@code blockFactory} its {@code
   * serving.properties} names (and, for a lowrank compressed model, the original model's factory)
   * loads from the classpath or the directory as a {@link BlockFactory} with a public constructor
   * without arguments, and the newest {@code <name>-<epoch>.params} file starts with DJL's header.
   *
   * @param dir the model directory
   * @param modelName the model name, the prefix of its parameter files
   * @throws ModelFileException naming {@code serving.properties} or the parameter file, if either
   *     would make DJL fail
   */
  public static void checkDirectory(Path dir, String modelName) throws ModelFileException {
    Path props = dir.resolve("serving.properties");
    if (Files.isRegularFile(props)) {
      Properties serving = new Properties();
      try (InputStream in = Files.newInputStream(props)) {
        serving.load(in);
      } catch (IOException | IllegalArgumentException e) {
        throw new ModelFileException(props, "cannot be read (" + oneLine(e) + ")", e);
      }
      String factory = serving.getProperty("blockFactory");
      if (factory != null && !factory.isBlank()) {
        checkFactory(dir, props, "blockFactory", factory);
        if (factory.equals(LowRankBlockFactory.class.getName())) {
          String base = serving.getProperty(LowRankBlockFactory.BASE_FACTORY);
          if (base == null || base.isBlank()) {
            throw new ModelFileException(
                props,
                "names lowrank's LowRankBlockFactory but no "
                    + LowRankBlockFactory.BASE_FACTORY
                    + " (the original model's block factory)");
          }
          checkFactory(dir, props, LowRankBlockFactory.BASE_FACTORY, base);
        }
      }
    }
    Optional<Path> params = newestParameterFile(dir, modelName);
    if (params.isPresent()) {
      checkParameterFile(params.get());
    }
  }

  /** The parameter file DJL reads without an {@code epoch} option: the newest epoch's. */
  private static Optional<Path> newestParameterFile(Path dir, String modelName)
      throws ModelFileException {
    Pattern name = Pattern.compile(Pattern.quote(modelName) + "-(\\d{4})\\.params");
    try (Stream<Path> files = Files.list(dir)) {
      Path newest = null;
      int epoch = -1;
      for (Path f : (Iterable<Path>) files::iterator) {
        Matcher m = name.matcher(f.getFileName().toString());
        if (m.matches() && Integer.parseInt(m.group(1)) > epoch) {
          epoch = Integer.parseInt(m.group(1));
          newest = f;
        }
      }
      return Optional.ofNullable(newest);
    } catch (IOException e) {
      throw new ModelFileException(dir, "cannot be listed (" + oneLine(e) + ")");
    }
  }

  private static void checkParameterFile(Path params) throws ModelFileException {
    byte[] head;
    try (InputStream in = Files.newInputStream(params)) {
      head = in.readNBytes(PARAMS_MAGIC.length);
    } catch (IOException e) {
      throw new ModelFileException(params, "cannot be read (" + oneLine(e) + ")", e);
    }
    if (!Arrays.equals(head, PARAMS_MAGIC)) {
      throw new ModelFileException(
          params,
          "is not a DJL parameter file (it does not start with the DJL@ header that Model.save"
              + " writes)");
    }
  }

  /** Where the block factory of compressed DJL models lived before the runtime module. */
  private static final String LEGACY_FACTORY = "dev.lowrank.format.djl.LowRankBlockFactory";

  private static void checkFactory(Path dir, Path props, String key, String className)
      throws ModelFileException {
    String what = key + "=" + quote(className);
    try (URLClassLoader local = modelClassLoader(dir)) {
      ClassLoader loader = local != null ? local : ClassLoaderUtils.getContextClassLoader();
      Class<?> c;
      try {
        c = Class.forName(className, false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        if (className.equals(LEGACY_FACTORY)) {
          throw new ModelFileException(
              props,
              what
                  + " is where lowrank 0.1.0 kept its block factory; it is now "
                  + LowRankBlockFactory.class.getName()
                  + " (in the lowrank-runtime jar): change blockFactory in serving.properties");
        }
        throw new ModelFileException(
            props,
            what
                + " names no class on the classpath (put the jar that holds the model's block"
                + " factory on the classpath)");
      }
      if (!BlockFactory.class.isAssignableFrom(c)) {
        throw new ModelFileException(
            props, what + " names a class that does not implement " + BlockFactory.class.getName());
      }
      try {
        c.getConstructor().newInstance();
      } catch (NoSuchMethodException e) {
        throw new ModelFileException(
            props, what + " has no public constructor without arguments, which DJL calls");
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        throw new ModelFileException(
            props, what + " cannot be created (" + oneLine(cause) + ")", e);
      }
    } catch (IOException e) {
      throw new ModelFileException(dir, "cannot be read (" + oneLine(e) + ")", e);
    }
  }

  /**
   * The class loader DJL adds for a model directory that carries classes ({@code classes/}) or jars
   * of its own, or null when it carries none.
   */
  private static URLClassLoader modelClassLoader(Path dir) throws IOException {
    List<URL> urls = new ArrayList<>();
    Path classes = dir.resolve("classes");
    try (Stream<Path> files = Files.list(dir)) {
      if (Files.isDirectory(classes)) {
        urls.add(url(classes));
      }
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f)) {
          urls.add(url(f));
        }
      }
    }
    return urls.isEmpty()
        ? null
        : new URLClassLoader(urls.toArray(new URL[0]), ClassLoaderUtils.getContextClassLoader());
  }

  private static URL url(Path p) throws MalformedURLException {
    return p.toUri().toURL();
  }

  private static String oneLine(Throwable e) {
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    String line = msg.replaceAll("\\s+", " ").trim();
    return line.length() > MAX_MESSAGE ? line.substring(0, MAX_MESSAGE) + "..." : line;
  }

  private static String quote(String text) {
    return text.length() > MAX_QUOTED ? text.substring(0, MAX_QUOTED) + "..." : text;
  }

  /** A model zoo whose loaders are those of another, made to close what a failed load opened. */
  private static final class ClosingZoo extends ModelZoo {
    private final ModelZoo zoo;

    ClosingZoo(ModelZoo zoo) {
      this.zoo = zoo;
      for (ModelLoader loader : zoo.getModelLoaders()) {
        addModel(
            loader.getClass() == BaseModelLoader.class
                ? new ClosingLoader(((BaseModelLoader) loader).getMrl())
                : loader);
      }
    }

    @Override
    public String getGroupId() {
      return zoo.getGroupId();
    }

    @Override
    public Set<String> getSupportedEngines() {
      return zoo.getSupportedEngines();
    }
  }

  /**
   * DJL's loader, except that it keeps the models it creates and closes them when the load fails.
   */
  private static final class ClosingLoader extends BaseModelLoader {
    private final List<Model> created = new ArrayList<>();

    ClosingLoader(MRL mrl) {
      super(mrl);
    }

    @Override
    public synchronized <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
        throws IOException, ModelNotFoundException, MalformedModelException {
      try {
        return super.loadModel(criteria);
      } catch (Throwable e) {
        for (Model m : created) {
          try {
            m.close();
          } catch (RuntimeException suppressed) {
            e.addSuppressed(suppressed);
          }
        }
        throw e;
      } finally {
        created.clear();
      }
    }

    /**
     * Does what {@link BaseModelLoader#createModel} of DJL 0.35 does, keeping the model before
     * anything (the block factory) can fail.
     */
    @Override
    protected Model createModel(
        Path modelPath,
        String name,
        Device device,
        Block block,
        Map<String, Object> arguments,
        String engine)
        throws IOException {
      Model model = Model.newInstance(name, device, engine);
      created.add(model);
      Block b = block;
      Object factory = arguments.get("blockFactory");
      if (b == null && factory instanceof BlockFactory f) {
        b = f.newBlock(model, modelPath, arguments);
      } else if (b == null && factory != null) {
        BlockFactory f =
            ClassLoaderUtils.findImplementation(modelPath, BlockFactory.class, factory.toString());
        if (f == null) {
          throw new IllegalArgumentException("Failed to load BlockFactory: " + factory);
        }
        b = f.newBlock(model, modelPath, arguments);
      }
      if (b != null) {
        model.setBlock(b);
      }
      for (Map.Entry<String, Object> e : arguments.entrySet()) {
        model.setProperty(e.getKey(), e.getValue().toString());
      }
      return model;
    }
  }
}
