package dev.inbox.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium driven through Selenium: Debian's {@code chromium} and its packaged {@code chromedriver}
 * (which {@code ./test} installs), never a downloaded browser or driver (Selenium Manager is not asked), with a fresh
 * profile per instance, deleted on {@link #close}. Missing binaries fail the test with the command that installs
 * them: a browser test never skips.
 *
 * <p>Needs Selenium on the test class path ({@code selenium-chrome-driver} and {@code selenium-support}, test scope);
 * the kit declares them optional, so modules without browser tests do not carry them.
 */
public final class Chromium implements AutoCloseable {
    /** Where Debian's {@code chromium} package puts the browser. */
    public static final Path BROWSER = Path.of("/usr/bin/chromium");
    /** Where Debian's {@code chromium-driver} package puts the driver. */
    public static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    private final ChromeDriver driver;
    private final Path profile;

    private Chromium(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /** Starts a headless Chromium with an empty profile; fails, saying how to install them, without the binaries. */
    public static Chromium start() {
        for (Path p : new Path[] {BROWSER, DRIVER}) {
            if (!Files.isExecutable(p)) {
                throw new AssertionError(p + " is missing: run ./test, which installs Debian's chromium and"
                        + " chromium-driver (or, as root: apt-get install -y chromium chromium-driver)");
            }
        }
        Path profile;
        try {
            profile = Files.createTempDirectory("inbox-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions()
                .setBinary(BROWSER.toFile())
                .addArguments(
                        "--headless=new",
                        "--no-sandbox", // root in a container has no user namespace for the sandbox
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                        "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(DRIVER.toString()))
                .usingAnyFreePort()
                .build();
        try {
            return new Chromium(new ChromeDriver(service, options), profile);
        } catch (RuntimeException e) {
            delete(profile);
            throw e;
        }
    }

    public WebDriver driver() {
        return driver;
    }

    /** Opens {@code url} and waits for the page to load. */
    public Chromium open(String url) {
        driver.get(url);
        return this;
    }

    /**
     * Runs {@code source} in every page this browser opens from now on, before the page's own scripts (Chrome DevTools'
     * {@code Page.addScriptToEvaluateOnNewDocument}): how a test watches what a page does, such as the WebSockets it
     * opens, without changing the page.
     */
    public Chromium beforeEveryPage(String source) {
        driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", source));
        return this;
    }

    /** Runs {@code script} in the page (a function body: {@code return ...}; arguments as {@code arguments[i]}). */
    @SuppressWarnings("unchecked")
    public <T> T script(String script, Object... args) {
        return (T) driver.executeScript(script, args);
    }

    /** Waits up to {@link Await#WAIT} until {@code condition} gives something other than null or false. */
    public <T> T await(String what, Function<WebDriver, T> condition) {
        return await(what, Await.WAIT, condition);
    }

    /** Waits up to {@code timeout} until {@code condition} gives something other than null or false. */
    public <T> T await(String what, Duration timeout, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, timeout)
                .pollingEvery(Duration.ofMillis(20))
                .withMessage(what)
                .until(condition);
    }

    /** The text of the element with {@code id}. */
    public String text(String id) {
        return driver.findElement(By.id(id)).getText();
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            delete(profile);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: best effort
        }
    }
}
