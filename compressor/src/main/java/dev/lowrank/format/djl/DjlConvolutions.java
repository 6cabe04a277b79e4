package dev.lowrank.format.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import dev.lowrank.format.ConvForm;
import dev.lowrank.format.ConvGeometry;
import dev.lowrank.format.Layer;
import dev.lowrank.linalg.ConvKernels;
import dev.lowrank.linalg.FloatMatrix;
import dev.lowrank.linalg.LowRankFactors;
import dev.lowrank.runtime.LowRankConv2d;
import java.util.Optional;

/** What the DJL format does with {@link Conv2d} blocks: describe, read, factor and stand in. */
final class DjlConvolutions {

  private DjlConvolutions() {}

  /** The geometry of a convolution block, from its settings and weight. */
  static ConvGeometry geometry(Conv2d conv) {
    Shape k = conv.getKernelShape();
    Shape s = conv.getStride();
    Shape p = conv.getPadding();
    Shape d = conv.getDilation();
    long inPerGroup;
    if (conv instanceof LowRankConv2d low) {
      inPerGroup = low.getInChannels();
    } else {
      Parameter w = conv.getParameters().get("weight");
      Shape shape = w.isInitialized() ? w.getArray().getShape() : w.getShape();
      inPerGroup = shape == null ? 0 : shape.get(1);
    }
    return new ConvGeometry(
        conv.getFilters(),
        Math.toIntExact(inPerGroup * conv.getGroups()),
        (int) k.get(0),
        (int) k.get(1),
        (int) s.get(0),
        (int) s.get(1),
        (int) p.get(0),
        (int) p.get(1),
        (int) d.get(0),
        (int) d.get(1),
        conv.getGroups());
  }

  /** Describes a convolution block as a layer; empty when it is not a 2-D kernel lowrank reads. */
  static Optional<Layer> describe(String name, Conv2d conv) {
    if (conv.getKernelShape() == null || conv.getKernelShape().dimension() != 2) {
      return Optional.empty();
    }
    if (!(conv instanceof LowRankConv2d)) {
      Parameter w = conv.getParameters().get("weight");
      Shape shape = w == null ? null : w.isInitialized() ? w.getArray().getShape() : w.getShape();
      if (shape == null || shape.dimension() != 4) {
        return Optional.empty();
      }
    }
    ConvGeometry g = geometry(conv);
    if (conv instanceof LowRankConv2d low) {
      return Optional.of(
          Layer.conv(name, g, low.hasBias())
              .withLowRank(
                  low.getRank(),
                  low.getForm() == LowRankConv2d.Form.CHANNEL
                      ? ConvForm.CHANNEL
                      : ConvForm.SPATIAL));
    }
    Layer layer = Layer.conv(name, g, conv.isIncludeBias());
    if (!g.ungrouped()) {
      return Optional.of(
          layer.withIneligible(
              "a grouped convolution ("
                  + g.groups()
                  + " groups"
                  + (g.groups() == g.inChannels() ? ", depthwise" : "")
                  + "): each group sees only its own channels, so it stays dense"));
    }
    if (conv.getClass() != Conv2d.class) {
      return Optional.of(
          layer.withIneligible(
              "it is a "
                  + conv.getClass().getName()
                  + ", a subclass of Conv2d whose forward lowrank does not know"));
    }
    return Optional.of(layer);
  }

  /** The kernel of a dense convolution in channel form, {@code C_out x (C_in kh kw)}. */
  static FloatMatrix readChannelForm(Conv2d conv) {
    NDArray array = conv.getParameters().get("weight").getArray();
    Shape shape = array.getShape();
    float[] values;
    if (array.getDataType() == DataType.FLOAT32) {
      values = array.toFloatArray();
    } else {
      try (NDArray f = array.toType(DataType.FLOAT32, true)) {
        values = f.toFloatArray();
      }
    }
    int rows = (int) shape.get(0);
    return FloatMatrix.wrap(rows, values.length / rows, values);
  }

  /** The two kernels of a form's factors, as matrices: first {@code r x ...}, second. */
  static FloatMatrix[] kernels(ConvGeometry g, ConvForm form, LowRankFactors f) {
    if (form == ConvForm.CHANNEL) {
      return new FloatMatrix[] {f.a(), f.b()};
    }
    return new FloatMatrix[] {
      ConvKernels.spatialVertical(f),
      ConvKernels.spatialHorizontal(f, g.outChannels(), g.kernelWidth())
    };
  }

  /** The product of a form's factors as the kernel in channel form. */
  static FloatMatrix channelProduct(ConvGeometry g, ConvForm form, LowRankFactors f) {
    FloatMatrix p = f.product();
    return form == ConvForm.CHANNEL
        ? p
        : ConvKernels.spatialToChannel(p, g.outChannels(), g.kernelHeight(), g.kernelWidth());
  }

  /** Builds the low-rank block of a dense convolution from its two kernels, keeping its bias. */
  static LowRankConv2d lowRankBlock(
      Conv2d conv, ConvForm form, NDArray first, NDArray second, int rank) {
    ConvGeometry g = geometry(conv);
    Parameter bias = conv.getParameters().get("bias");
    NDArray biasArr = bias == null || !conv.isIncludeBias() ? null : bias.getArray();
    Shape k1 = form == ConvForm.CHANNEL ? conv.getKernelShape() : new Shape(g.kernelHeight(), 1);
    Shape k2 = form == ConvForm.CHANNEL ? new Shape(1, 1) : new Shape(1, g.kernelWidth());
    NDArray a = first.reshape(rank, g.inChannels(), k1.get(0), k1.get(1));
    NDArray b = second.reshape(g.outChannels(), rank, k2.get(0), k2.get(1));
    // A block loaded from a parameter file knows its input shapes but not their names.
    Shape[] shapes = conv.getInputShapes();
    Shape input = shapes == null || shapes.length == 0 ? null : shapes[0];
    return LowRankConv2d.lowRankBuilder()
        .optForm(form == ConvForm.CHANNEL ? LowRankConv2d.Form.CHANNEL : LowRankConv2d.Form.SPATIAL)
        .setRank(rank)
        .setFilters(g.outChannels())
        .setInChannels(g.inChannels())
        .setKernelShape(conv.getKernelShape())
        .optStride(conv.getStride())
        .optPadding(conv.getPadding())
        .optDilation(conv.getDilation())
        .optBias(biasArr != null)
        .optValues(a, b, biasArr, input)
        .build();
  }

  /** The low-rank block of a convolution for a form's factors. */
  static LowRankConv2d lowRankBlock(
      Conv2d conv, ConvForm form, LowRankFactors f, NDManager manager) {
    FloatMatrix[] k = kernels(geometry(conv), form, f);
    return lowRankBlock(
        conv,
        form,
        manager.create(k[0].data(), new Shape(k[0].rows(), k[0].cols())),
        manager.create(k[1].data(), new Shape(k[1].rows(), k[1].cols())),
        f.rank());
  }

  /**
   * Builds a channel-form block that computes exactly what a dense convolution does: {@code W}
   * followed by the 1x1 identity when {@code C_out <= C_in kh kw}, else the patch-extracting
   * identity followed by {@code W} as a 1x1 convolution.
   */
  static LowRankConv2d exactStandIn(Conv2d conv, NDManager scratch) {
    ConvGeometry g = geometry(conv);
    NDArray w = conv.getParameters().get("weight").getArray().toType(DataType.FLOAT32, true);
    w.attach(scratch);
    int n = g.outChannels();
    int m = g.patchSize();
    NDArray flat = w.reshape(n, m);
    if (n <= m) {
      return lowRankBlock(conv, ConvForm.CHANNEL, flat, scratch.eye(n), n);
    }
    return lowRankBlock(conv, ConvForm.CHANNEL, scratch.eye(m), flat, m);
  }
}
