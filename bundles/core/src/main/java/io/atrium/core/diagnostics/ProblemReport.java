package io.atrium.core.diagnostics;

import io.atrium.api.PluginProblem;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Collects why plugins are not available: bundles that do not resolve, activators that threw
 * on start, and DS components that failed to activate or wait for a missing service.
 * Computed when asked, from live state, so a fixed problem disappears by itself.
 */
@Component(service = ProblemReport.class)
public final class ProblemReport implements FrameworkListener, BundleListener {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger("io.atrium.core");
    private final BundleContext context;
    private final ServiceComponentRuntime scr;
    /** Optional, so that the report comes up as early as before: the deployer, which needs it, needs the guard too. */
    @Reference(cardinality = org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL,
            policy = org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC)
    private volatile io.atrium.core.guard.TrustGuard guard;
    /** Start failures reported by the framework (activator threw), by bundle id, until the bundle changes. */
    private final Map<Long, String> startFailures = new ConcurrentHashMap<>();

    @Activate
    public ProblemReport(BundleContext context, @Reference ServiceComponentRuntime scr) {
        this.context = context;
        this.scr = scr;
        context.addFrameworkListener(this);
        context.addBundleListener(this);
    }

    @Deactivate
    void deactivate() {
        context.removeFrameworkListener(this);
        context.removeBundleListener(this);
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        Bundle b = event.getBundle();
        if (event.getType() == FrameworkEvent.ERROR && b != null && b.getBundleId() != 0) {
            recordStartFailure(b, event.getThrowable());
            LOG.warning("bundle " + b.getSymbolicName() + " [" + b.getBundleId() + "]: "
                    + (event.getThrowable() == null ? "error" : rootMessage(event.getThrowable())));
        }
    }

    /**
     * Records that starting a bundle failed, for those who start bundles themselves.
     *
     * @param bundle the bundle
     * @param error  what {@code Bundle.start} threw
     */
    public void recordStartFailure(Bundle bundle, Throwable error) {
        if (bundle.getState() == Bundle.INSTALLED) {
            return; // unresolved: explained from its requirements instead
        }
        startFailures.put(bundle.getBundleId(), "failed to start: " + rootMessage(error));
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        switch (event.getType()) {
            case BundleEvent.STARTED, BundleEvent.UPDATED, BundleEvent.UNINSTALLED, BundleEvent.UNRESOLVED ->
                    startFailures.remove(event.getBundle().getBundleId());
            default -> { }
        }
    }

    /** @return why the bundle last failed to start, if it did and has not changed since */
    public java.util.Optional<String> startFailure(long bundleId) {
        return java.util.Optional.ofNullable(startFailures.get(bundleId));
    }

    /** @return why components of this bundle failed or wait, one sentence each */
    public List<String> componentProblems(Bundle bundle) {
        List<String> reasons = new ArrayList<>();
        ComponentDescriptionDTO[] descriptions = scr.getComponentDescriptionDTOs(bundle).toArray(ComponentDescriptionDTO[]::new);
        String xml = descriptions.length == 0 ? xmlProblem(bundle) : null;
        if (xml != null) {
            reasons.add(xml);
        }
        for (ComponentDescriptionDTO description : descriptions) {
            for (ComponentConfigurationDTO config : scr.getComponentConfigurationDTOs(description)) {
                String reason = componentProblem(config);
                if (reason != null && config.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                    reasons.add("component " + description.name + " " + reason);
                }
            }
        }
        return reasons;
    }

    /** @return why the DS component behind this service failed to activate, if SCR says it did */
    public java.util.Optional<String> activationFailure(org.osgi.framework.ServiceReference<?> ref) {
        Bundle b = ref.getBundle();
        if (b == null || !(ref.getProperty("component.id") instanceof Long id)) {
            return java.util.Optional.empty();
        }
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs(b)) {
            for (ComponentConfigurationDTO config : scr.getComponentConfigurationDTOs(description)) {
                if (config.id == id && config.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                    return java.util.Optional.of(componentProblem(config));
                }
            }
        }
        return java.util.Optional.empty();
    }

    /** @return every current problem, one sentence each */
    public List<PluginProblem> problems() {
        List<PluginProblem> problems = new ArrayList<>();
        // A bundle can be installed and not yet resolved only because nobody asked yet (the late part of
        // the base set, a plugin between its install and its start): ask now, so only real failures remain.
        List<Bundle> unresolved = java.util.Arrays.stream(context.getBundles())
                .filter(b -> b.getState() == Bundle.INSTALLED && !isFragment(b)).toList();
        if (!unresolved.isEmpty()) {
            context.getBundle(org.osgi.framework.Constants.SYSTEM_BUNDLE_LOCATION)
                    .adapt(org.osgi.framework.wiring.FrameworkWiring.class).resolveBundles(unresolved);
        }
        for (Bundle b : context.getBundles()) {
            if (b.getState() == Bundle.INSTALLED && !isFragment(b)) {
                io.atrium.core.guard.TrustGuard g = guard;
                String refused = g == null ? null : g.lastRefusal(b); // the trust policy's word, else the requirements'
                problems.add(new PluginProblem(b.getSymbolicName() == null ? b.getLocation() : b.getSymbolicName(),
                        source(b), refused != null ? refused : ResolutionDiagnosis.explain(context, b)));
            }
            String failure = startFailures.get(b.getBundleId());
            if (failure != null && b.getState() != Bundle.ACTIVE && b.getState() != Bundle.UNINSTALLED) {
                problems.add(new PluginProblem(b.getSymbolicName(), source(b), failure));
            }
        }
        java.util.Set<Long> described = new java.util.HashSet<>();
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            described.add(description.bundle.id);
        }
        for (Bundle b : context.getBundles()) {
            String xml = b.getState() == Bundle.ACTIVE && !described.contains(b.getBundleId()) ? xmlProblem(b) : null;
            if (xml != null) {
                problems.add(new PluginProblem(b.getSymbolicName(), source(b), xml));
            }
        }
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            for (ComponentConfigurationDTO config : scr.getComponentConfigurationDTOs(description)) {
                String reason = componentProblem(config);
                if (reason != null) {
                    Bundle b = context.getBundle(description.bundle.id);
                    problems.add(new PluginProblem(b == null ? "?" : b.getSymbolicName(), b == null ? "?" : source(b),
                            "component " + description.name + " " + reason));
                }
            }
        }
        return problems;
    }

    /**
     * A bundle that names component descriptions SCR made nothing of (SCR's own log of it is silenced):
     * it would run, listed active, with no plugin in it.
     *
     * @return the one-line reason, or null when it names none
     */
    private static String xmlProblem(Bundle b) {
        String header = b.getHeaders("").get("Service-Component");
        if (header == null || header.isBlank() || b.getState() != Bundle.ACTIVE) {
            return null;
        }
        for (String clause : header.split(",")) {
            String path = clause.split(";")[0].trim();
            if (!path.isEmpty() && !path.contains("*") && b.getEntry(path) == null) {
                return "its Service-Component header names " + path + ", which the bundle does not hold: no component of it runs";
            }
        }
        return "its component descriptions (" + header.trim() + ") hold no component SCR could read: the XML is malformed or empty";
    }

    private static String componentProblem(ComponentConfigurationDTO config) {
        switch (config.state) {
            case ComponentConfigurationDTO.FAILED_ACTIVATION:
                return "failed to activate: " + firstLine(config.failure);
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE:
                List<String> missing = new ArrayList<>();
                for (var ref : config.unsatisfiedReferences) {
                    missing.add(ref.name + (ref.target == null ? "" : " " + ref.target));
                }
                return "waits for a service it requires: " + String.join(", ", missing);
            default:
                return null;
        }
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "(no reason given)";
        }
        String line = text.strip().lines().findFirst().orElse("");
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }

    /** @return the innermost cause, one line: its kind and message */
    public static String rootMessage(Throwable t) {
        Throwable cause = t;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String msg = cause.getMessage();
        return cause.getClass().getSimpleName() + (msg == null ? "" : ": " + firstLine(msg));
    }

    private static String source(Bundle b) {
        return "version " + b.getVersion() + ", bundle " + b.getBundleId();
    }

    private static boolean isFragment(Bundle b) {
        return b.getHeaders("").get(org.osgi.framework.Constants.FRAGMENT_HOST) != null;
    }
}
