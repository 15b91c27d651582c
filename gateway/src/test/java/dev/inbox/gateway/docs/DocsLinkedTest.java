package dev.inbox.gateway.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README is the front door (STYLE item 15): every document is reachable from it, and no link in the documents
 * leads nowhere, to a missing file or to a heading that is not there (anchors as GitHub makes them).
 */
class DocsLinkedTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path README = ROOT.resolve("README.md");
    /** {@code [text](target)}; the target has no spaces or parentheses in these documents. */
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    @Test
    void everyDocIsLinkedFromTheReadme() throws IOException {
        Set<Path> linked = new HashSet<>();
        for (String target : links(README)) {
            String file = target.replaceFirst("#.*", "");
            if (!external(target) && !file.isEmpty()) {
                linked.add(resolve(README, file));
            }
        }
        List<Path> docs = new ArrayList<>(markdownIn(ROOT.resolve("docs")));
        docs.add(ROOT.resolve("benchmarks/README.md"));
        docs.add(ROOT.resolve("benchmarks/RESULTS.md"));
        List<Path> unlinked = docs.stream().filter(d -> !linked.contains(d)).toList();
        assertEquals(List.of(), unlinked, "README.md must link every document");
    }

    @Test
    void everyRelativeLinkAndAnchorResolves() throws IOException {
        List<Path> docs = new ArrayList<>(markdownIn(ROOT.resolve("docs")));
        docs.add(README);
        docs.add(ROOT.resolve("benchmarks/README.md"));
        docs.add(ROOT.resolve("benchmarks/RESULTS.md"));
        List<String> broken = new ArrayList<>();
        for (Path doc : docs) {
            for (String target : links(doc)) {
                if (external(target)) {
                    continue;
                }
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                Path to = file.isEmpty() ? doc : resolve(doc, file);
                if (!Files.exists(to)) {
                    broken.add(ROOT.relativize(doc) + ": " + target + " (no such file)");
                } else if (hash >= 0 && !anchors(to).contains(target.substring(hash + 1))) {
                    broken.add(
                            ROOT.relativize(doc) + ": " + target + " (no such heading in " + ROOT.relativize(to) + ")");
                }
            }
        }
        assertEquals(List.of(), broken);
    }

    private static List<Path> markdownIn(Path dir) throws IOException {
        assertTrue(Files.isDirectory(dir), dir + " is missing");
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".md"))
                    .map(Path::normalize)
                    .sorted()
                    .toList();
        }
    }

    private static boolean external(String target) {
        return target.matches("[a-z][a-z0-9+.-]*:.*"); // https:, mailto:
    }

    private static Path resolve(Path from, String target) {
        return from.getParent().resolve(target).normalize();
    }

    /** Link targets outside fenced code blocks. */
    private static List<String> links(Path doc) throws IOException {
        List<String> targets = new ArrayList<>();
        for (String line : prose(doc)) {
            Matcher m = LINK.matcher(line);
            while (m.find()) {
                targets.add(m.group(1));
            }
        }
        return targets;
    }

    /** The anchors GitHub gives the headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
    private static Set<String> anchors(Path doc) throws IOException {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : prose(doc)) {
            if (!line.startsWith("#")) {
                continue;
            }
            String slug = line.replaceFirst("^#+\\s*", "")
                    .strip()
                    .toLowerCase(Locale.ROOT)
                    .replaceAll("[^\\p{L}\\p{N} _-]", "")
                    .replace(' ', '-');
            int n = seen.merge(slug, 1, Integer::sum);
            anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
        }
        return anchors;
    }

    private static List<String> prose(Path doc) throws IOException {
        List<String> lines = new ArrayList<>();
        boolean fenced = false;
        for (String line : Files.readAllLines(doc, StandardCharsets.UTF_8)) {
            if (line.startsWith("```")) {
                fenced = !fenced;
            } else if (!fenced) {
                lines.add(line);
            }
        }
        return lines;
    }
}
