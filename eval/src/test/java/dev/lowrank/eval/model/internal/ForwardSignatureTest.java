package dev.lowrank.eval.model.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowrank.datasets.Digits;
import dev.lowrank.eval.testing.MiniLmModels;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Forward argument names from TorchScript code, which DJL does not report. */
class ForwardSignatureTest {

  @Test
  void parsesTorchScriptCode() {
    String code =
        "class M(Module):\n  __parameters__ = []\n  def forward(self: __torch__.M,\n"
            + "    input_ids: Tensor,\n    attention_mask: Tensor,\n"
            + "    token_type_ids: Optional[Tensor]=None,\n"
            + "    pair: Tuple[Tensor, Tensor]) -> Tensor:\n    return input_ids\n";
    assertEquals(
        Optional.of(List.of("input_ids", "attention_mask", "token_type_ids", "pair")),
        ForwardSignature.arguments(code, "M"));
    assertEquals(Optional.empty(), ForwardSignature.arguments(code, "Other"));
  }

  @TempDir Path tmp;

  @Test
  void readsTheBundledFixturesAndTheMiniLmCopy() throws Exception {
    Path mlp = tmp.resolve("mlp_scripted.pt");
    try (InputStream in =
        Digits.class.getResourceAsStream("/dev/lowrank/datasets/torchscript/mlp_scripted.pt")) {
      Files.copy(in, mlp);
    }
    assertEquals(Optional.of(List.of("x")), ForwardSignature.read(mlp));
    assertEquals(
        Optional.of(List.of("input_ids", "attention_mask", "token_type_ids")),
        ForwardSignature.read(MiniLmModels.torchScript()));
    Path notZip = Files.writeString(tmp.resolve("x.pt"), "nope");
    assertEquals(Optional.empty(), ForwardSignature.read(notZip));
  }
}
