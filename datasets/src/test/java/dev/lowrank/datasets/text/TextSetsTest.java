package dev.lowrank.datasets.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.datasets.testing.TextFixture;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real SpamAssassin and nlp-corpus texts, their parts and tasks. */
class TextSetsTest {

  private static Path cache;

  @BeforeAll
  static void fetch() {
    cache = TextFixture.cacheOrSkip();
  }

  @Test
  void partsAreDisjointAndCoverTheUsableMessages() throws Exception {
    List<SpamAssassin.Email> all = SpamAssassin.emails(cache);
    assertTrue(all.size() > 4000 && all.size() < 9348, "usable messages: " + all.size());
    Set<String> seen = new HashSet<>();
    int total = 0;
    for (TextSets.Part part : TextSets.Part.values()) {
      List<SpamAssassin.Email> emails = TextSets.emails(cache, part);
      total += emails.size();
      for (SpamAssassin.Email e : emails) {
        assertTrue(seen.add(e.group() + "/" + e.id()), "in two parts: " + e);
      }
    }
    assertEquals(all.size(), total);
    assertEquals(
        (all.size() + 9) / 10 + (all.size() + 8) / 10,
        TextSets.emails(cache, TextSets.Part.CALIBRATION).size());
  }

  @Test
  void classificationHasBothClassesInTrainAndTest() throws Exception {
    for (TextSets.Part part : List.of(TextSets.Part.TRAIN, TextSets.Part.TEST)) {
      TextSets.LabeledTexts t = TextSets.spamClassification(cache, part, 400);
      assertEquals(400, t.texts().size());
      int spam = 0;
      for (int label : t.labels()) {
        spam += label;
      }
      assertTrue(spam > 20 && spam < 200, part + ": " + spam + " spam of 400");
      for (String text : t.texts()) {
        assertFalse(text.contains("\n") || text.contains("\t"), text);
      }
    }
  }

  @Test
  void retrievalQueriesAreUniqueHamSubjectsOfTheTestPart() throws Exception {
    TextSets.TextPairs pairs = TextSets.subjectRetrieval(cache, 300);
    assertEquals(300, pairs.queries().size());
    assertEquals(300, new HashSet<>(pairs.queries()).size());
    Set<String> calibration = new HashSet<>(TextSets.calibration(cache, 100_000));
    Set<String> train =
        new HashSet<>(TextSets.spamClassification(cache, TextSets.Part.TRAIN, 100_000).texts());
    for (int i = 0; i < pairs.queries().size(); i++) {
      String text = pairs.queries().get(i) + ". " + pairs.documents().get(i);
      assertFalse(calibration.contains(text), "a test message is in the calibration part");
      assertFalse(train.contains(text), "a test message is in the training part");
      assertTrue(pairs.queries().get(i).split(" ").length >= 3, pairs.queries().get(i));
    }
  }

  @Test
  void generalCalibrationSentences() throws Exception {
    List<String> s = TextSets.generalCalibration(cache, 2500);
    assertEquals(2500, s.size());
    assertTrue(s.stream().noneMatch(String::isBlank));
  }

  @Test
  void parsesPlainTextMessagesAndDropsTheRest() {
    String raw =
        "From: a@b\nSubject: Re: [ILUG] Network\n  problems today\nContent-Type: text/plain\n\n"
            + "> quoted line\nHisax is one of the ISDN modules here.\n\n"
            + "_______________\nIrish Linux Users' Group footer";
    SpamAssassin.Email e = SpamAssassin.parse("1", "easy-ham-1", "c", false, raw);
    assertEquals("Network problems today", e.subject());
    assertEquals("Hisax is one of the ISDN modules here.", e.body());
    assertEquals("Network problems today. Hisax is one of the ISDN modules here.", e.text());
    assertNull(
        SpamAssassin.parse(
            "2", "spam-1", "c", true, "Subject: x\nContent-Type: text/html\n\n<b>buy now</b>"));
    assertNull(
        SpamAssassin.parse(
            "3",
            "spam-1",
            "c",
            true,
            "Subject: x\nContent-Transfer-Encoding: base64\n\nQUJDREVGRw== QUJD QUJD QUJD"));
  }
}
