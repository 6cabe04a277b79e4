package dev.lowrank.eval.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lowrank.eval.testing.SampleReports;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens the HTML reports in headless Chromium, as a user would, and checks what it rendered: the
 * plots are in the live DOM and the screenshot shows them (the series colors are on screen, and the
 * page is not blank). Needs Debian's {@code chromium}; {@code ./test} installs it, and under {@code
 * CI=true} its absence fails the test.
 */
class HtmlInChromiumTest {

  private static final String BLUE = "1f77b4";
  private static final String ORANGE = "ff7f0e";

  @TempDir static Path tmp;

  private static Path chromium;

  @BeforeAll
  static void findChromium() {
    Optional<Path> found =
        List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome").stream()
            .map(Path::of)
            .filter(Files::isExecutable)
            .findFirst();
    if (found.isEmpty() && "true".equals(System.getenv("CI"))) {
      fail("CI=true but chromium is not installed (./test installs Debian's chromium)");
    }
    Assumptions.assumeTrue(
        found.isPresent(),
        "chromium is not installed; ./test installs it to check the HTML report");
    chromium = found.get();
  }

  @Test
  void evaluationReportRendersItsFourPlots() throws Exception {
    Path html = tmp.resolve("eval.html");
    ReportWriters.write(SampleReports.eval(true), html);
    String dom = run(html, "--dump-dom");
    assertEquals(4, count(dom, "<svg"), "four plots in the rendered DOM");
    for (String id : new String[] {"spectra", "tradeoff", "latency", "speedup"}) {
      assertTrue(dom.contains("class=\"plot plot-" + id + "\""), id);
    }
    assertTrue(count(dom, "<polyline") >= 5, "spectra and latency lines");
    assertTrue(dom.contains("Gate passed"));

    BufferedImage shot = screenshot(html, "eval");
    assertNotBlank(shot);
    assertTrue(pixels(shot, BLUE) > 300, "the first series' blue is drawn");
    assertTrue(pixels(shot, ORANGE) > 300, "the second series' orange is drawn");
  }

  @Test
  void sweepAndSearchReportsRenderTheirPlot() throws Exception {
    Path sweep = tmp.resolve("sweep.html");
    ReportWriters.write(SampleReports.sweep(), sweep);
    assertEquals(1, count(run(sweep, "--dump-dom"), "<svg"));
    BufferedImage shot = screenshot(sweep, "sweep");
    assertNotBlank(shot);
    assertTrue(pixels(shot, BLUE) > 200, "the sweep curve is drawn");

    Path search = tmp.resolve("search.html");
    ReportWriters.write(SampleReports.search(), search);
    String dom = run(search, "--dump-dom");
    assertTrue(dom.contains("Chosen: rank 8"), "the answer is on the page");
    assertNotBlank(screenshot(search, "search"));
  }

  private static BufferedImage screenshot(Path html, String name) throws Exception {
    Path png = tmp.resolve(name + ".png");
    run(html, "--screenshot=" + png, "--window-size=1200,1800");
    BufferedImage img = ImageIO.read(png.toFile());
    Path keep = Path.of("target", "eval-reports");
    Files.createDirectories(keep);
    Files.copy(png, keep.resolve("chromium-" + name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    return img;
  }

  private static void assertNotBlank(BufferedImage img) {
    double sum = 0;
    double sq = 0;
    int n = 0;
    for (int y = 0; y < img.getHeight(); y += 2) {
      for (int x = 0; x < img.getWidth(); x += 2) {
        int p = img.getRGB(x, y);
        double l = 0.299 * ((p >> 16) & 0xff) + 0.587 * ((p >> 8) & 0xff) + 0.114 * (p & 0xff);
        sum += l;
        sq += l * l;
        n++;
      }
    }
    double mean = sum / n;
    double variance = sq / n - mean * mean;
    assertTrue(variance > 100, "the screenshot is nearly uniform (variance " + variance + ")");
  }

  /** Counts pixels within a small distance of a color (anti-aliasing blurs edges). */
  private static int pixels(BufferedImage img, String hex) {
    int c = Integer.parseInt(hex, 16);
    int n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int p = img.getRGB(x, y);
        int d =
            Math.abs(((p >> 16) & 0xff) - ((c >> 16) & 0xff))
                + Math.abs(((p >> 8) & 0xff) - ((c >> 8) & 0xff))
                + Math.abs((p & 0xff) - (c & 0xff));
        if (d < 30) {
          n++;
        }
      }
    }
    return n;
  }

  private static String run(Path html, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(chromium.toString());
    cmd.addAll(
        List.of(
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--user-data-dir=" + Files.createTempDirectory(tmp, "profile")));
    cmd.addAll(List.of(args));
    cmd.add(html.toUri().toString());
    Path out = Files.createTempFile(tmp, "chromium", ".out");
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("chromium did not finish within 90 s");
    }
    assertEquals(0, p.exitValue(), "chromium exit status");
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  private static int count(String s, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(s);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
