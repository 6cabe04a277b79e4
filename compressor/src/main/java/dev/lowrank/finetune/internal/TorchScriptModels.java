package dev.lowrank.finetune.internal;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoopTranslator;
import ai.djl.util.Pair;
import dev.lowrank.data.SampleShape;
import dev.lowrank.format.Layer;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.SourceModel;
import dev.lowrank.io.TemporaryFiles;
import dev.lowrank.linalg.LowRankFactors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * TorchScript files, through DJL's PyTorch engine: the teacher is the original file loaded for
 * inference; the student is the truncated model written by the format to a temporary file and
 * loaded with {@code trainParam=true}, every parameter frozen except each factorized layer's {@code
 * <layer>.lowrank_a} and {@code <layer>.lowrank_b}.
 *
 * <p>A TorchScript module records gradients only when DJL runs it in training mode, which would
 * also switch dropout on; the student is therefore run through DJL's training path with the module
 * itself put back in evaluation mode once, so that gradients flow while dropout and batch
 * normalization behave as at inference.
 */
final class TorchScriptModels {

  private TorchScriptModels() {}

  static TrainingModel teacher(SourceModel source) throws ModelFileException {
    return new Loaded(load(source.path(), source.path(), false), List.of(), false);
  }

  static TrainingModel student(SourceModel source, Map<String, LowRankFactors> factors)
      throws ModelFileException, IOException {
    Path dir = TemporaryFiles.createDirectory("lowrank-finetune");
    ZooModel<NDList, NDList> model;
    try {
      Path file = dir.resolve("student.pt");
      source.write(file, factors, "{}".getBytes(StandardCharsets.UTF_8));
      model = load(file, source.path(), true);
    } finally {
      TemporaryFiles.delete(dir);
    }
    try {
      Block block = model.getBlock();
      block.freezeParameters(true);
      Map<String, Parameter> byName = new LinkedHashMap<>();
      for (Pair<String, Parameter> p : block.getParameters()) {
        byName.put(p.getKey(), p.getValue());
      }
      List<TrainableFactors> trained = new ArrayList<>();
      Map<String, Layer> layers = new LinkedHashMap<>();
      source.layers().forEach(l -> layers.put(l.name(), l));
      for (String layer : factors.keySet()) {
        List<String> names = source.factorParameterNames(layers.get(layer));
        Parameter a = byName.get(names.get(0));
        Parameter b = byName.get(names.get(1));
        if (a == null || b == null) {
          throw new IllegalStateException(
              "The factorized TorchScript module has no parameters " + names);
        }
        a.freeze(false);
        b.freeze(false);
        trained.add(new TrainableFactors(layer, a, b));
      }
      if (block instanceof PtSymbolBlock pt) {
        // DJL's PtSymbolBlock starts in training mode and switches only when the training flag of
        // a forward differs; every student forward passes true, so this evaluation mode stays.
        JniUtils.enableInferenceMode(pt);
      }
      return new Loaded(model, trained, true);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  private static ZooModel<NDList, NDList> load(Path file, Path named, boolean train)
      throws ModelFileException {
    Criteria.Builder<NDList, NDList> criteria =
        Criteria.builder()
            .setTypes(NDList.class, NDList.class)
            .optModelPath(file)
            .optEngine("PyTorch")
            .optTranslator(new NoopTranslator())
            .optOption("mapLocation", "true");
    if (train) {
      criteria.optOption("trainParam", "true");
    }
    try {
      return criteria.build().loadModel();
    } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
      String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new ModelFileException(
          named, "DJL cannot load it for fine-tuning (" + msg.replaceAll("\\s+", " ") + ")", e);
    }
  }

  /** A TorchScript module run through DJL. */
  private static final class Loaded implements TrainingModel {

    private final ZooModel<NDList, NDList> model;
    private final List<TrainableFactors> factors;
    private final boolean trainingPath;

    Loaded(ZooModel<NDList, NDList> model, List<TrainableFactors> factors, boolean trainingPath) {
      this.model = model;
      this.factors = List.copyOf(factors);
      this.trainingPath = trainingPath;
    }

    @Override
    public NDManager manager() {
      return model.getNDManager();
    }

    @Override
    public NDList forward(NDManager step, NDList inputs) {
      return model.getBlock().forward(new ParameterStore(step, false), inputs, trainingPath);
    }

    @Override
    public Optional<SampleShape> storedInputShape() {
      return Optional.empty();
    }

    @Override
    public List<TrainableFactors> factors() {
      return factors;
    }

    @Override
    public void close() {
      model.close();
    }
  }
}
