package io.atrium.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import aQute.bnd.header.Attrs;
import aQute.bnd.header.OSGiHeader;
import aQute.bnd.osgi.Processor;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The base set is listed in bundles.list (read by the launcher at run time); Maven and bnd cannot
 * read it, so the other lists that name it are checked against it here, in {@code mvn test}: the
 * pom's dependencies, the artifacts embed-base-bundles copies into the jar, and the bundles the
 * bndrun proves resolve. One line per bundle missing from a list.
 */
class BaseSetListsTest {
    private static final String LIST = "bundles.list";
    private static final String POM_DEPENDENCIES = "runtime/pom.xml's <dependencies>";
    private static final String POM_EMBEDDED = "runtime/pom.xml's includeArtifactIds (execution embed-base-bundles)";
    private static final String BNDRUN = "runtime/atrium.bndrun's -runrequires";
    /** Not in the base set, by design: the samples go to the distribution's plugins/ (src/assembly). */
    private static final String SAMPLES = "io.atrium.sample.";
    /** Not in the base set, by design: the Java SDK goes to the distribution's sdk/java. */
    private static final String SDK = "io.atrium.plugin.sdk";

    @Test
    void everyListNamesTheBaseSetOfBundlesList() throws Exception {
        // bundles.list as the launcher reads it: the copy on the test class path is target/classes'
        Set<String> base = new LinkedHashSet<>();
        for (BaseBundles.Entry entry : BaseBundles.index()) {
            base.add(entry.file().replaceFirst("\\.jar$", ""));
        }
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new File("pom.xml"));
        Map<String, String> dependencies = dependencies(pom);
        Set<String> embedded = embedded(pom);
        Set<String> required = required(new File("atrium.bndrun"));

        List<String> problems = new ArrayList<>();
        Set<String> baseNames = new LinkedHashSet<>();
        for (String artifact : base) {
            String scope = dependencies.get(artifact);
            if (scope == null || scope.equals("test")) {
                problems.add(artifact + " is in " + LIST + " but not in " + POM_DEPENDENCIES + " (non-test scope)");
            }
            if (!embedded.contains(artifact)) {
                problems.add(artifact + " is in " + LIST + " but not in " + POM_EMBEDDED);
                continue; // not copied, so its symbolic name cannot be read
            }
            String name = symbolicName(artifact);
            baseNames.add(name);
            if (!required.contains(name)) {
                problems.add(artifact + " is in " + LIST + " but not in " + BNDRUN + " (as bnd.identity;id='" + name + "')");
            }
        }
        for (String artifact : embedded) {
            if (!base.contains(artifact)) {
                problems.add(artifact + " is in " + POM_EMBEDDED + " but not in " + LIST);
            }
        }
        // compile scope is the launcher's class path (the framework, the API; Gogo's runtime is both)
        dependencies.forEach((artifact, scope) -> {
            if (scope.equals("provided") && !base.contains(artifact) && !artifact.startsWith(SAMPLES) && !artifact.equals(SDK)) {
                problems.add(artifact + " is a provided dependency in " + POM_DEPENDENCIES + " but not in " + LIST);
            }
        });
        for (String name : required) {
            if (!baseNames.contains(name) && !name.startsWith(SAMPLES) && embedded.containsAll(base)) {
                problems.add(name + " is in " + BNDRUN + " but no bundle of " + LIST + " has that symbolic name");
            }
        }
        assertEquals("", String.join("\n", problems), "the lists of the base set disagree");
    }

    /** @return artifactId to scope of the pom's own dependencies */
    private static Map<String, String> dependencies(Document pom) {
        Map<String, String> scopes = new LinkedHashMap<>();
        Element dependencies = child(pom.getDocumentElement(), "dependencies");
        for (Element dependency : children(dependencies, "dependency")) {
            Element scope = child(dependency, "scope");
            scopes.put(child(dependency, "artifactId").getTextContent().strip(),
                    scope == null ? "compile" : scope.getTextContent().strip());
        }
        return scopes;
    }

    private static Set<String> embedded(Document pom) {
        NodeList executions = pom.getElementsByTagName("execution");
        for (int i = 0; i < executions.getLength(); i++) {
            Element execution = (Element) executions.item(i);
            Element id = child(execution, "id");
            if (id != null && id.getTextContent().strip().equals("embed-base-bundles")) {
                String ids = child(child(execution, "configuration"), "includeArtifactIds").getTextContent();
                Set<String> artifacts = new LinkedHashSet<>();
                Arrays.stream(ids.split(",")).map(String::strip).filter(s -> !s.isEmpty()).forEach(artifacts::add);
                return artifacts;
            }
        }
        throw new AssertionError("runtime/pom.xml has no execution embed-base-bundles");
    }

    /** @return the bnd.identity ids of the bndrun's -runrequires, parsed by bnd itself */
    private static Set<String> required(File bndrun) throws IOException {
        try (Processor processor = new Processor()) {
            processor.setProperties(bndrun);
            Set<String> ids = new LinkedHashSet<>();
            for (Map.Entry<String, Attrs> requirement : OSGiHeader.parseHeader(processor.getProperty("-runrequires")).entrySet()) {
                if (Processor.removeDuplicateMarker(requirement.getKey()).equals("bnd.identity")) {
                    ids.add(requirement.getValue().get("id"));
                }
            }
            return ids;
        }
    }

    /** The symbolic name of a base jar as copied into target/classes/atrium/base. */
    private static String symbolicName(String artifact) throws IOException {
        try (InputStream in = BaseBundles.class.getResourceAsStream("/atrium/base/" + artifact + ".jar")) {
            if (in == null) {
                throw new AssertionError(artifact + ".jar is not in target/classes/atrium/base");
            }
            Manifest manifest = new JarInputStream(in).getManifest();
            return manifest.getMainAttributes().getValue("Bundle-SymbolicName").split(";")[0].strip();
        }
    }

    private static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? null : found.get(0);
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        for (var node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && element.getTagName().equals(name)) {
                found.add(element);
            }
        }
        return found;
    }
}
