package io.atrium.core.diagnostics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.namespace.BundleNamespace;
import org.osgi.framework.namespace.ExecutionEnvironmentNamespace;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWiring;

/**
 * Turns "this bundle did not resolve" into one sentence: which requirement nothing satisfies,
 * what it asks for, and what the server offers instead. Works from the bundle's requirements
 * and the live wirings (Karaf's bundle:diag does the same), never from the resolver's message.
 */
public final class ResolutionDiagnosis {
    private static final Pattern NAME = Pattern.compile("\\(([\\w.\\-]+)=([^)(]+)\\)");
    private static final Pattern FLOOR = Pattern.compile("\\(version>=([\\d.]+)\\)");
    private static final Pattern CEILING_EXCL = Pattern.compile("\\(!\\(version>=([\\d.]+)\\)\\)");
    private static final Pattern CEILING_INCL = Pattern.compile("\\(version<=([\\d.]+)\\)");
    private static final Pattern EE_VERSION = Pattern.compile("\\(version=([\\d.]+)\\)");

    private ResolutionDiagnosis() {
    }

    /**
     * @param context any bundle context of the framework
     * @param bundle  a bundle in state INSTALLED
     * @return one sentence saying why it does not resolve
     */
    public static String explain(BundleContext context, Bundle bundle) {
        BundleRevision revision = bundle.adapt(BundleRevision.class);
        if (revision == null) {
            return "was uninstalled";
        }
        List<String> reasons = new ArrayList<>();
        // Requirements only an unresolved bundle offers: one clause per such bundle, not per package.
        Map<String, List<String>> waitingOn = new java.util.LinkedHashMap<>();
        for (BundleRequirement req : revision.getDeclaredRequirements(null)) {
            if (Constants.RESOLUTION_OPTIONAL.equals(req.getDirectives().get(Constants.RESOLUTION_DIRECTIVE))
                    || "active".equals(req.getDirectives().get(Constants.EFFECTIVE_DIRECTIVE))
                    || satisfiedByResolved(context, req)) {
                continue;
            }
            String provider = unresolvedProvider(context, req);
            if (provider != null) {
                String filter = req.getDirectives().getOrDefault(Constants.FILTER_DIRECTIVE, "");
                waitingOn.computeIfAbsent(provider, p -> new ArrayList<>()).add(attribute(filter, req.getNamespace()));
            } else {
                reasons.add(describe(context, req));
            }
        }
        waitingOn.forEach((provider, names) -> reasons.add("needs " + String.join(", ", names)
                + " from " + provider + ", which did not resolve either"));
        if (reasons.isEmpty()) {
            return "does not resolve although every requirement is offered; a uses-constraint conflict between "
                    + "the packages it imports is the likely cause";
        }
        return String.join("; ", reasons);
    }

    private static boolean satisfiedByResolved(BundleContext context, BundleRequirement req) {
        for (Bundle b : context.getBundles()) {
            BundleWiring wiring = b.adapt(BundleWiring.class);
            if (wiring == null) {
                continue;
            }
            for (BundleCapability cap : wiring.getCapabilities(req.getNamespace())) {
                if (req.matches(cap)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String describe(BundleContext context, BundleRequirement req) {
        String filter = req.getDirectives().getOrDefault(Constants.FILTER_DIRECTIVE, "");
        String ns = req.getNamespace();
        String name = attribute(filter, ns);
        String range = range(filter);
        switch (ns) {
            case PackageNamespace.PACKAGE_NAMESPACE -> {
                String builtAgainst = range.startsWith("[") ? " (built against " + major(range) + ".x)" : "";
                return "needs package " + name + " " + range + builtAgainst + " but this server "
                        + offered(context, ns, name);
            }
            case ExecutionEnvironmentNamespace.EXECUTION_ENVIRONMENT_NAMESPACE -> {
                Matcher m = EE_VERSION.matcher(filter);
                String wanted = m.find() ? "Java " + m.group(1).replaceFirst("\\.0$", "") : filter;
                return "needs " + wanted + " but this server runs Java " + Runtime.version().feature();
            }
            case BundleNamespace.BUNDLE_NAMESPACE -> {
                return "needs bundle " + name + " " + range + " but this server " + offered(context, ns, name);
            }
            default -> {
                return "needs capability " + ns + " " + filter + " which nothing in this server provides";
            }
        }
    }

    /** @return what resolved bundles offer under this name, as "provides x 1.0.0" or "does not provide x" */
    private static String offered(BundleContext context, String namespace, String name) {
        TreeSet<String> versions = new TreeSet<>();
        for (Bundle b : context.getBundles()) {
            BundleWiring wiring = b.adapt(BundleWiring.class);
            if (wiring == null) {
                continue;
            }
            for (BundleCapability cap : wiring.getCapabilities(namespace)) {
                Map<String, Object> attrs = cap.getAttributes();
                if (name != null && name.equals(attrs.get(namespace))) {
                    Object v = attrs.get(PackageNamespace.CAPABILITY_VERSION_ATTRIBUTE);
                    if (v == null) {
                        v = attrs.get(Constants.BUNDLE_VERSION_ATTRIBUTE);
                    }
                    versions.add(String.valueOf(v));
                }
            }
        }
        return versions.isEmpty() ? "does not provide " + name + " at all"
                : "provides " + name + " " + String.join(", ", versions);
    }

    private static String unresolvedProvider(BundleContext context, BundleRequirement req) {
        for (Bundle b : context.getBundles()) {
            if (b.getState() != Bundle.INSTALLED) {
                continue;
            }
            BundleRevision rev = b.adapt(BundleRevision.class);
            if (rev == null || rev.equals(req.getRevision())) {
                continue;
            }
            for (BundleCapability cap : rev.getDeclaredCapabilities(req.getNamespace())) {
                if (req.matches(cap)) {
                    return b.getSymbolicName() + " [" + b.getBundleId() + "]";
                }
            }
        }
        return null;
    }

    private static String attribute(String filter, String key) {
        Matcher m = NAME.matcher(filter);
        while (m.find()) {
            if (m.group(1).equals(key)) {
                return m.group(2);
            }
        }
        return "?";
    }

    /** Renders bnd's usual filters as a range: (version>=2.0.0)(!(version>=3.0.0)) is [2.0.0,3.0.0). */
    static String range(String filter) {
        Matcher floor = FLOOR.matcher(filter);
        Matcher ceilEx = CEILING_EXCL.matcher(filter);
        Matcher ceilIn = CEILING_INCL.matcher(filter);
        String lo = floor.find() ? floor.group(1) : null;
        if (ceilEx.find()) {
            return "[" + (lo == null ? "0.0.0" : lo) + "," + ceilEx.group(1) + ")";
        }
        if (ceilIn.find()) {
            return "[" + (lo == null ? "0.0.0" : lo) + "," + ceilIn.group(1) + "]";
        }
        return lo == null ? "(any version)" : lo + " or later";
    }

    private static String major(String range) {
        String lo = range.substring(1, range.indexOf(','));
        int dot = lo.indexOf('.');
        return "version " + (dot < 0 ? lo : lo.substring(0, dot));
    }
}
