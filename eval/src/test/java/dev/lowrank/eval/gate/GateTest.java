package dev.lowrank.eval.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.eval.accuracy.Accuracy;
import dev.lowrank.eval.accuracy.AccuracyComparison;
import dev.lowrank.eval.accuracy.Fidelity;
import java.io.StringReader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

class GateTest {

  private static Optional<AccuracyComparison> accuracy(int original, int compressed) {
    return Optional.of(
        new AccuracyComparison(
            new Accuracy(400, original, OptionalInt.empty()),
            new Accuracy(400, compressed, OptionalInt.empty())));
  }

  private static final Fidelity FIDELITY = new Fidelity(400, 390, 0.1);

  @Test
  void withinTheLimitPassesWithItsMargin() {
    GateVerdict v = Gate.check(accuracy(380, 376), FIDELITY, 0.02);
    assertTrue(v.passed());
    GateCheck c = v.checks().get(0);
    assertEquals("accuracy-drop", c.name());
    assertEquals(0.01, c.value(), 1e-12);
    assertEquals(0.01, c.margin(), 1e-12);
    assertEquals(
        "accuracy-drop: top-1 accuracy drop 1.00 pp is within the limit 2.00 pp with a margin of"
            + " 1.00 pp",
        c.message());
  }

  @Test
  void pastTheLimitFailsAndSaysByHowMuch() {
    GateVerdict v = Gate.check(accuracy(380, 360), FIDELITY, 0.02);
    assertFalse(v.passed());
    assertEquals(
        "accuracy-drop: top-1 accuracy drop 5.00 pp is past the limit 2.00 pp by 3.00 pp",
        v.failures().get(0).message());
    assertTrue(Gate.check(accuracy(380, 372), FIDELITY, 0.02).passed(), "exactly at the limit");
  }

  @Test
  void unlabeledDataIsJudgedByDisagreement() {
    GateVerdict v = Gate.check(Optional.empty(), FIDELITY, 0.02);
    assertEquals("top1-disagreement", v.checks().get(0).name());
    assertEquals(0.025, v.checks().get(0).value(), 1e-12);
    assertFalse(v.passed());
  }

  @Test
  void limitsOutsideZeroToOneAreMisuse() {
    assertThrows(IllegalArgumentException.class, () -> Gate.checkLimit(-0.1));
    assertThrows(IllegalArgumentException.class, () -> Gate.checkLimit(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> Gate.checkLimit(2));
  }

  @Test
  void junitXmlHasOneTestcasePerCheckAndTheNumbersInFailures() throws Exception {
    GateVerdict v = Gate.check(accuracy(380, 360), FIDELITY, 0.02);
    Map<String, String> props = new LinkedHashMap<>();
    props.put("accuracy.original", "0.95");
    props.put("model", "a<b>&\"c\"");
    String xml = JUnitXmlReport.render("lowrank-eval mlp", v, props);
    Document doc =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(new InputSource(new StringReader(xml)));
    Element suite = doc.getDocumentElement();
    assertEquals("testsuite", suite.getTagName());
    assertEquals("1", suite.getAttribute("tests"));
    assertEquals("1", suite.getAttribute("failures"));
    NodeList cases = doc.getElementsByTagName("testcase");
    assertEquals(1, cases.getLength());
    assertEquals("accuracy-drop", ((Element) cases.item(0)).getAttribute("name"));
    Element failure = (Element) doc.getElementsByTagName("failure").item(0);
    assertTrue(
        failure.getAttribute("message").contains("5.00 pp is past the limit 2.00 pp by 3.00 pp"));
    assertTrue(failure.getTextContent().contains("value: 0.050000"));
    NodeList properties = doc.getElementsByTagName("property");
    assertEquals("a<b>&\"c\"", ((Element) properties.item(1)).getAttribute("value"));

    String passing =
        JUnitXmlReport.render("s", Gate.check(accuracy(380, 380), FIDELITY, 0.02), Map.of());
    assertTrue(passing.contains("failures=\"0\""));
    assertFalse(passing.contains("<failure"));
  }
}
