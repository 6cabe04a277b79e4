package dev.lowrank.format.torchscript.internal.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Parsing class code, finding who reads a weight, and recognizing linear forwards. */
class CodeAnalysisTest {

  private static final String HEADER =
      "class M(Module):\n"
          + "  __parameters__ = [\"weight\", \"bias\", ]\n"
          + "  __buffers__ = []\n"
          + "  weight : Tensor\n"
          + "  bias : Tensor\n"
          + "  fc : __torch__.torch.nn.modules.linear.Linear\n"
          + "  __annotations__[\"0\"] = __torch__.Block\n"
          + "  in_features : Final[int] = 64\n";

  private static MethodDef method(String params, String... body) throws CodeException {
    String text =
        HEADER
            + "  def forward(self: __torch__.M,\n    "
            + params
            + ") -> Tensor:\n    "
            + String.join("\n    ", body)
            + "\n";
    ClassDef c = CodeParser.parse("archive/code/__torch__.py", "__torch__", text).classes().get(0);
    return c.method("forward").orElseThrow();
  }

  private static MethodScan scan(String... body) throws CodeException {
    return MethodScan.scan(method("x: Tensor", body), true, t -> t.contains("__torch__"));
  }

  @Test
  void parsesDeclarations() throws Exception {
    ClassDef c =
        CodeParser.parse(
                "e",
                "__torch__",
                HEADER + "  def forward(self: __torch__.M) -> int:\n    return 1\n")
            .classes()
            .get(0);
    assertEquals("__torch__.M", c.qualifiedName());
    assertTrue(c.isModule());
    assertEquals(List.of("weight", "bias"), c.parameters());
    assertEquals("__torch__.torch.nn.modules.linear.Linear", c.attributes().get("fc").type());
    assertEquals("__torch__.Block", c.attributes().get("0").type());
    assertEquals(Optional.of("64"), c.attributes().get("in_features").value());
    assertEquals("  __annotations__[\"0\"] = X", c.attributes().get("0").withType("X"));
    assertEquals("  fc : Y", c.attributes().get("fc").withType("Y"));
  }

  @Test
  void rejectsCodeItCannotRead() {
    assertThrows(
        CodeException.class, () -> CodeParser.parse("e", "q", "class A(Module):\n  x = (\n"));
    assertThrows(
        CodeException.class, () -> CodeParser.parse("e", "q", "class A(Module):\n  s = 'open\n"));
    assertThrows(CodeException.class, () -> CodeParser.parse("e", "q", "  indented = 1\n"));
  }

  @Test
  void followsAliasesAndGetattr() throws Exception {
    MethodScan s =
        scan(
            "layers = self.layers",
            "_0 = getattr(layers, \"0\")",
            "lin = _0.linear1",
            "w = lin.weight",
            "fc = self.fc",
            "y = (fc).forward(x, )",
            "return torch.linear(y, w)");
    assertEquals(Set.of(List.of("layers", "0", "linear1")), s.weightReads());
    assertEquals(List.of(), s.unresolved());
    // w (a tensor path) is used as a value; fc only through forward.
    assertEquals(Set.of(List.of("layers", "0", "linear1", "weight")), s.escapes());
  }

  @Test
  void readsThroughParenthesesAndChains() throws Exception {
    MethodScan s = scan("a = (self.fc).weight", "b = self.enc.layer.weight", "return a");
    assertEquals(Set.of(List.of("fc"), List.of("enc", "layer")), s.weightReads());
  }

  @Test
  void modulesUsedAsValuesEscape() throws Exception {
    MethodScan s =
        scan(
            "t = (self.fc, 1)",
            "u = ops.foo(self.enc)",
            "v = self.layers[0]",
            "a, b = self.p, self.q",
            "return x");
    assertEquals(Set.of(List.of("fc"), List.of("enc"), List.of("layers")), s.escapes());
  }

  @Test
  void weightReadsItCannotFollowAreReported() throws Exception {
    assertFalse(scan("w = foo(x).weight", "return w").unresolved().isEmpty());
    assertFalse(scan("w = (x + 1).weight", "return w").unresolved().isEmpty());
    MethodDef m = method("x: Tensor, other: __torch__.Other", "return other.weight");
    assertFalse(MethodScan.scan(m, true, t -> t.contains("__torch__")).unresolved().isEmpty());
    assertTrue(scan("s = \"a.weight\"", "return x").unresolved().isEmpty(), "a string");
    assertTrue(scan("y = f(x, weight=1)", "return y").weightReads().isEmpty(), "a keyword");
  }

  @Test
  void longChainsOfAliasesResolveOrStayConservative() throws Exception {
    String[] forward = new String[5001];
    String[] backward = new String[5001];
    forward[0] = "a0 = self.fc";
    backward[4999] = "a4999 = self.fc";
    for (int i = 1; i < 5000; i++) {
      forward[i] = "a" + i + " = a" + (i - 1);
      backward[i - 1] = "a" + (i - 1) + " = a" + i;
    }
    forward[5000] = "return a4999.weight";
    backward[5000] = "return a0.weight";
    assertEquals(Set.of(List.of("fc")), scan(forward).weightReads());
    // Resolving a0 first would recurse 5000 levels: the scan gives up and reports it.
    assertFalse(scan(backward).unresolved().isEmpty());
  }

  @Test
  void listsTheClassesTheCodeNames() throws Exception {
    MethodScan s =
        scan("_0 = __torch__.torch.nn.functional.relu", "return unchecked_cast(__torch__.Foo, x)");
    assertTrue(
        s.mentions().containsAll(Set.of("__torch__.torch.nn.functional.relu", "__torch__.Foo")));
  }

  @Test
  void recognizesPlainLinearForwards() throws Exception {
    assertEquals(
        Optional.of(new ForwardShape.Linear("x", "weight", Optional.of("bias"))),
        ForwardShape.linear(method("x: Tensor", "return torch.linear(x, self.weight, self.bias)")));
    assertEquals(
        Optional.of(new ForwardShape.Linear("x", "weight", Optional.of("bias"))),
        ForwardShape.linear(
            method(
                "x: Tensor",
                "bias = self.bias",
                "weight = self.weight",
                "return torch.linear(x, weight, bias)")));
    assertEquals(
        Optional.of(new ForwardShape.Linear("x", "weight", Optional.empty())),
        ForwardShape.linear(
            method("x: Tensor", "weight = self.weight", "return torch.linear(x, weight)")));
    assertEquals(
        Optional.of(new ForwardShape.Linear("x", "weight", Optional.empty())),
        ForwardShape.linear(method("x: Tensor", "return torch.linear(x, self.weight, None)")));
  }

  @Test
  void anythingMoreIsNotPlain() throws Exception {
    for (String[] body :
        List.of(
            new String[] {"return torch.mul(torch.linear(x, self.weight, self.bias), 0.5)"},
            new String[] {"y = torch.relu(x)", "return torch.linear(y, self.weight, self.bias)"},
            new String[] {"torch = self.fc", "return torch.linear(x, self.weight)"},
            new String[] {"return torch.linear(x, self.weight, self.bias, )", "pass"},
            new String[] {"return torch.linear(x, weight=self.weight)"},
            new String[] {"return torch.linear(x, torch.t(self.weight))"})) {
      assertEquals(
          Optional.empty(),
          ForwardShape.linear(method("x: Tensor", body)),
          String.join("; ", body));
    }
    assertEquals(
        Optional.empty(),
        ForwardShape.linear(method("x: Tensor, y: Tensor", "return torch.linear(x, self.weight)")));
  }

  @Test
  void recognizesFactorizedForwardsAsLowrankOrPyTorchPrintsThem() throws Exception {
    ForwardShape.LowRank want =
        new ForwardShape.LowRank("input", "lowrank_a", "lowrank_b", Optional.of("bias"));
    assertEquals(
        Optional.of(want),
        ForwardShape.lowRank(
            method(
                "input: Tensor",
                "return torch.linear(torch.linear(input, self.lowrank_a), self.lowrank_b, self.bias)")));
    assertEquals(
        Optional.of(want),
        ForwardShape.lowRank(
            method(
                "input: Tensor",
                "lowrank_a = self.lowrank_a",
                "_0 = torch.linear(input, lowrank_a)",
                "lowrank_b = self.lowrank_b",
                "bias = self.bias",
                "return torch.linear(_0, lowrank_b, bias)")));
    assertEquals(
        Optional.empty(),
        ForwardShape.lowRank(
            method(
                "input: Tensor",
                "return torch.linear(torch.linear(input, self.a, self.c), self.b)")));
  }

  @Test
  void renamesWholeQualifiedNamesOnly() {
    assertEquals(
        "self: __torch__.X, y: __torch__.Mlp2, z: __torch__.Mlp.Inner",
        CodeText.renameQualified(
            "self: __torch__.Mlp, y: __torch__.Mlp2, z: __torch__.Mlp.Inner",
            "__torch__.Mlp",
            "__torch__.X"));
    assertEquals("\"a\\\"b\\\\\"", CodeText.quote("a\"b\\"));
  }

  private static ClassDef conv(String forward, String... helper) throws CodeException {
    String text =
        HEADER
            + "  def forward(self: __torch__.M,\n    input: Tensor) -> Tensor:\n    "
            + forward.replace("\n", "\n    ")
            + "\n"
            + (helper.length == 0
                ? ""
                : "  def _conv_forward(self: __torch__.M,\n    input: Tensor,\n    weight: Tensor,\n"
                    + "    bias: Optional[Tensor]) -> Tensor:\n    "
                    + String.join("\n    ", helper)
                    + "\n");
    return CodeParser.parse("archive/code/__torch__.py", "__torch__", text).classes().get(0);
  }

  @Test
  void recognizesScriptedAndTracedConvolutions() throws Exception {
    ClassDef scripted =
        conv(
            "weight = self.weight\nbias = self.bias\n_0 = (self)._conv_forward(input, weight, bias, )\n"
                + "return _0",
            "_1 = torch.conv2d(input, weight, bias, [2, 1], [1, 2], [1, 1])",
            "return _1");
    ForwardShape.Conv c = ForwardShape.conv(scripted).orElseThrow();
    assertEquals("weight", c.weight());
    assertEquals(Optional.of("bias"), c.bias());
    assertEquals(List.of(2, 1), List.of(c.stride()[0], c.stride()[1]));
    assertEquals(List.of(1, 2), List.of(c.padding()[0], c.padding()[1]));
    assertEquals(1, c.groups());

    ClassDef traced =
        conv(
            "_0 = torch._convolution(input, self.weight, None, [1, 1], [0, 0], [2, 2], False,"
                + " [0, 0], 4, False, True, True, True)\nreturn _0");
    ForwardShape.Conv t = ForwardShape.conv(traced).orElseThrow();
    assertEquals(Optional.empty(), t.bias());
    assertEquals(4, t.groups());
    assertEquals(2, t.dilation()[0]);

    // A padding mode pads first: not the plain convolution.
    ClassDef reflect =
        conv(
            "_0 = (self)._conv_forward(input, self.weight, self.bias, )\nreturn _0",
            "_1 = torch.pad(input, [1, 1, 1, 1], \"reflect\")",
            "return torch.conv2d(_1, weight, bias, [1, 1], [0, 0], [1, 1])");
    assertTrue(ForwardShape.conv(reflect).isEmpty());
    // Transposed convolutions and string padding are not either.
    assertTrue(
        ForwardShape.conv(
                conv(
                    "return torch._convolution(input, self.weight, None, [1, 1], [0, 0], [1, 1],"
                        + " True, [0, 0], 1, False, True, True, True)"))
            .isEmpty());
    assertTrue(
        ForwardShape.conv(
                conv(
                    "return torch.conv2d(input, self.weight, self.bias, [1, 1], \"same\", [1, 1])"))
            .isEmpty());
  }

  @Test
  void recognizesTheFactorizedConvolutionLowrankWrites() throws Exception {
    MethodDef forward =
        method(
            "x: Tensor",
            "_lr_hidden = torch.conv2d(x, self.lowrank_a, None, [2, 1], [1, 0], [1, 1])",
            "return torch.conv2d(_lr_hidden, self.lowrank_b, self.bias, [1, 3], [0, 2], [1, 1])");
    ForwardShape.LowRankConv low = ForwardShape.lowRankConv(forward).orElseThrow();
    assertEquals("lowrank_a", low.a());
    assertEquals("lowrank_b", low.b());
    assertEquals(Optional.of("bias"), low.bias());
    assertEquals(List.of(2, 1, 1, 0, 1, 1), java.util.Arrays.stream(low.first()).boxed().toList());
    assertEquals(List.of(1, 3, 0, 2, 1, 1), java.util.Arrays.stream(low.second()).boxed().toList());
    // The first convolution must not add a bias.
    assertTrue(
        ForwardShape.lowRankConv(
                method(
                    "x: Tensor",
                    "return torch.conv2d(torch.conv2d(x, self.lowrank_a, self.bias, [1, 1], [0, 0],"
                        + " [1, 1]), self.lowrank_b, None, [1, 1], [0, 0], [1, 1])"))
            .isEmpty());
  }

  @Test
  void theAttentionForwardComputesEachProjectionFromItsForm() {
    String code =
        AttentionForward.forward(
            List.of("  def forward(self: __torch__.X,", "    query: Tensor) -> Tensor:"),
            List.of(
                "self",
                "query",
                "key",
                "value",
                "key_padding_mask",
                "need_weights",
                "attn_mask",
                "average_attn_weights"),
            2,
            true,
            java.util.Map.of(
                "q", AttentionForward.Mode.FACTORS,
                "k", AttentionForward.Mode.DENSE,
                "v", AttentionForward.Mode.FACTORS),
            true);
    assertTrue(
        code.contains(
            "_lr_pq = torch.linear(torch.linear(_lr_q, self.q_proj_lowrank_a),"
                + " self.q_proj_lowrank_b, _lr_bias[0])"),
        code);
    assertTrue(
        code.contains("_lr_pk = torch.linear(_lr_k, self.k_proj_weight, _lr_bias[1])"), code);
    assertTrue(code.contains("_lr_out = (_lr_proj).forward(_lr_out, )"), "out_proj's own forward");
    assertTrue(code.contains("_lr_q = torch.transpose(query, 1, 0)"), "batch first");
    assertFalse(code.contains("in_proj_weight"), "no packed weight is read: " + code);
  }
}
