package dev.lowrank.format.torchscript.internal;

import dev.lowrank.format.ConvForm;
import dev.lowrank.format.ConvGeometry;
import dev.lowrank.format.Layer;
import dev.lowrank.format.LayerKind;
import dev.lowrank.format.ModelFileException;
import dev.lowrank.format.ModelFormat;
import dev.lowrank.format.torchscript.internal.ModelAnalysis.ProjectionSite;
import dev.lowrank.format.torchscript.internal.ModelAnalysis.Site;
import dev.lowrank.format.torchscript.internal.pickle.PyValue.PyObject;
import dev.lowrank.format.torchscript.internal.zip.ZipEntryInfo;
import dev.lowrank.format.torchscript.internal.zip.ZipWriter;
import dev.lowrank.io.InputFileException;
import dev.lowrank.io.OutputFiles;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.runtime.ManifestFile;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Writes a copy of an archive in which chosen layers hold two factors: each linear module gets the
 * parameters {@code lowrank_a} (r x m) and {@code lowrank_b} (n x r) instead of {@code weight}, its
 * bias unchanged, and a class whose forward is {@code torch.linear(torch.linear(x, A), B, bias)};
 * each convolution gets the two kernels of its form and a forward of two chained {@code conv2d}
 * calls; each attention module with a factorized projection gets the factors of that projection and
 * a forward of lowrank's (see {@link RewritePlan}).
 *
 * <p>Everything else is copied as it was, storages streamed byte for byte. Classes that must
 * declare a new child type are edited in place when all their instances agree, and cloned under a
 * fresh mangled name otherwise (up to the root). The write goes to a temporary file in the output's
 * folder, is read back and checked, and only then moved onto the output.
 */
final class ArchiveRewriter {

  private final ModelFormat format;
  private final TorchScriptArchive archive;
  private final ModelAnalysis analysis;
  private final Map<String, Site> layers;

  ArchiveRewriter(
      ModelFormat format,
      TorchScriptArchive archive,
      ModelAnalysis analysis,
      Map<String, Site> layers) {
    this.format = format;
    this.archive = archive;
    this.analysis = analysis;
    this.layers = layers;
  }

  void write(
      Path output,
      Map<String, LowRankFactors> factors,
      Map<String, ConvForm> forms,
      byte[] manifest)
      throws IOException, ModelFileException {
    if (OutputFiles.sameFile(output, archive.path())) {
      throw new IllegalArgumentException(
          "The output " + output + " is the input; write the compressed model to another file");
    }
    Map<PyObject, Factorized> chosen = new IdentityHashMap<>();
    Map<PyObject, Map<String, Factorized>> projections = new IdentityHashMap<>();
    choose(factors, forms, chosen, projections);
    RewritePlan plan = new RewritePlan(archive, analysis, chosen, projections);
    try {
      OutputFiles.writeFile(
          output,
          tmp -> {
            try (FileChannel ch =
                FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
              writeArchive(ch, plan, manifest);
              ch.force(true);
            }
            verify(tmp, factors, forms);
          });
    } catch (ModelFileException e) {
      throw e;
    } catch (InputFileException e) {
      throw new ModelFileException(e.file(), e.getMessage(), e);
    }
  }

  /**
   * A layer to factorize: its site, the factors it gets and, for a convolution, their form.
   *
   * @param site the layer
   * @param factors the factors (of the form's matrix for a convolution)
   * @param form the convolution form, {@link ConvForm#CHANNEL} for other layers
   */
  record Factorized(Site site, LowRankFactors factors, ConvForm form) {}

  private void choose(
      Map<String, LowRankFactors> factors,
      Map<String, ConvForm> forms,
      Map<PyObject, Factorized> chosen,
      Map<PyObject, Map<String, Factorized>> projections) {
    for (String name : forms.keySet()) {
      Site m = layers.get(name);
      if (m == null || m.layer().kind() != LayerKind.CONV2D) {
        throw new IllegalArgumentException(
            "A form is given for '" + name + "', which is no convolution of " + archive.path());
      }
    }
    for (Map.Entry<String, LowRankFactors> e : factors.entrySet()) {
      Site m = layers.get(e.getKey());
      if (m == null) {
        throw new IllegalArgumentException(
            "No linear layer named '" + e.getKey() + "' in " + archive.path());
      }
      Layer l = m.layer();
      if (l.lowRank().isPresent()) {
        throw new IllegalArgumentException(
            "Layer " + l.name() + " is already factorized; leave it out of the factors");
      }
      if (l.ineligible().isPresent()) {
        throw new IllegalArgumentException(
            "Layer " + l.name() + " must stay dense: " + l.ineligible().get());
      }
      ConvForm form = forms.getOrDefault(l.name(), ConvForm.CHANNEL);
      int rows = l.outFeatures();
      int cols = l.inFeatures();
      if (l.conv().isPresent()) {
        ConvGeometry g = l.conv().get();
        rows = form.rows(g);
        cols = form.cols(g);
      }
      LowRankFactors f = e.getValue();
      if (f.a().cols() != cols || f.b().rows() != rows || f.rank() < 1) {
        throw new IllegalArgumentException(
            "Factors of "
                + l.name()
                + " are A "
                + f.a().shape()
                + " and B "
                + f.b().shape()
                + "; the layer needs A r x "
                + cols
                + " and B "
                + rows
                + " x r"
                + (l.conv().isPresent() ? " (" + form.label() + " form)" : ""));
      }
      if (!f.a().isFinite() || !f.b().isFinite()) {
        throw new IllegalArgumentException("Factors of " + l.name() + " hold NaN or infinity");
      }
      Factorized chosenOne = new Factorized(m, f, form);
      if (m instanceof ProjectionSite p) {
        projections
            .computeIfAbsent(m.node().object(), k -> new LinkedHashMap<>())
            .put(p.projection().name(), chosenOne);
      } else {
        chosen.put(m.node().object(), chosenOne);
      }
    }
  }

  private void writeArchive(FileChannel ch, RewritePlan plan, byte[] manifest)
      throws IOException, ModelFileException {
    ZipWriter zip = new ZipWriter(ch);
    String dataPkl = archive.recordName("data.pkl");
    String codeDir = archive.recordName("code/");
    String manifestName = archive.recordName("extra/" + ManifestFile.FILE_NAME);
    List<ZipEntryInfo> entries = archive.zip().entries();
    int lastCode = -1;
    for (int i = 0; i < entries.size(); i++) {
      if (entries.get(i).name().startsWith(codeDir)) {
        lastCode = i;
      }
    }
    Set<String> dropped = new HashSet<>(plan.droppedEntries());
    dropped.add(manifestName);
    dropped.add(archive.recordName("bytecode.pkl"));
    for (int i = 0; i < entries.size(); i++) {
      ZipEntryInfo e = entries.get(i);
      String name = e.name();
      if (name.equals(dataPkl)) {
        // The factors go where PyTorch puts storages: just before data.pkl.
        for (Map.Entry<String, byte[]> s : plan.newStorages().entrySet()) {
          zip.putStored(s.getKey(), s.getValue());
        }
        zip.putStored(name, plan.dataPickle());
      } else if (plan.editedCode().containsKey(name)) {
        zip.putStored(name, plan.editedCode().get(name).getBytes(StandardCharsets.UTF_8));
      } else if (!dropped.contains(name)) {
        zip.putCopy(name, archive.zip(), e);
      }
      if (i == lastCode) {
        for (Map.Entry<String, String> f : plan.newCode().entrySet()) {
          zip.putStored(f.getKey(), f.getValue().getBytes(StandardCharsets.UTF_8));
        }
      }
    }
    zip.putStored(manifestName, manifest);
    zip.finish();
  }

  /** Reads the written file back and checks that it holds what was asked for. */
  private void verify(
      Path written, Map<String, LowRankFactors> factors, Map<String, ConvForm> forms) {
    long expected = analysis.parameterCount();
    for (Map.Entry<String, LowRankFactors> f : factors.entrySet()) {
      Layer l = layers.get(f.getKey()).layer();
      expected += f.getValue().parameters() - (long) l.outFeatures() * l.inFeatures();
    }
    try (TorchScriptModel back = TorchScriptModel.open(format, written)) {
      List<Layer> before = analysis.sites().stream().map(Site::layer).toList();
      List<Layer> after = back.layers();
      boolean ok = before.size() == after.size() && back.parameterCount() == expected;
      for (int i = 0; ok && i < before.size(); i++) {
        Layer b = before.get(i);
        Layer a = after.get(i);
        LowRankFactors f = factors.get(b.name());
        ok =
            f == null
                ? a.equals(b)
                : a.name().equals(b.name())
                    && a.kind() == b.kind()
                    && a.outFeatures() == b.outFeatures()
                    && a.inFeatures() == b.inFeatures()
                    && a.hasBias() == b.hasBias()
                    && a.conv().equals(b.conv())
                    && a.lowRank().equals(OptionalInt.of(f.rank()))
                    && (b.conv().isEmpty()
                        || a.form()
                            .equals(Optional.of(forms.getOrDefault(b.name(), ConvForm.CHANNEL))));
      }
      if (!ok) {
        throw new IllegalStateException(
            "lowrank wrote an archive that does not read back as planned (layers "
                + after
                + ", "
                + back.parameterCount()
                + " parameters, expected "
                + expected
                + "); this is a bug, please report it with the model");
      }
    } catch (ModelFileException e) {
      throw new IllegalStateException(
          "lowrank wrote an archive it cannot read back (" + e.getMessage() + "); this is a bug",
          e);
    }
  }
}
