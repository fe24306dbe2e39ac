package io.atrium.runtime;

import io.atrium.api.CallSpan;
import io.atrium.api.CallStatistics;
import io.atrium.api.PluginControl;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginFolder;
import io.atrium.api.PluginProblem;
import io.atrium.api.PluginState;
import io.atrium.api.PluginStatistics;
import io.atrium.api.PluginTraces;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * What the shell's {@code plugin:} commands print, read from the public API's services that carry it
 * ({@link PluginFolder}, the registry, {@link PluginStatistics}, {@link PluginTraces}), and steers plugins
 * through {@link PluginControl} as {@code plugin:reload}, {@code stop} and {@code start} do: tests assert on
 * these facts, not on the shell's tables, which only tests of the shell itself (ShellIT) should depend on.
 */
final class PluginFacts {
    private PluginFacts() {
    }

    /** @return every file of the plugin folder, as {@code plugin:deploys} lists them */
    static List<PluginFolder.File> files(Atrium atrium) {
        return using(atrium, PluginFolder.class, PluginFolder::files);
    }

    /** @return the folder's row for {@code name}, if it lists that file */
    static Optional<PluginFolder.File> file(Atrium atrium, String name) {
        return files(atrium).stream().filter(f -> f.file().equals(name)).findFirst();
    }

    /** @return the file's state ({@code active}, {@code refused}…), or null when the folder does not list it */
    static String fileState(Atrium atrium, String name) {
        return file(atrium, name).map(PluginFolder.File::state).orElse(null);
    }

    /** @return why the file is not active, "" when it is, or null when the folder does not list it */
    static String detail(Atrium atrium, String name) {
        return file(atrium, name).map(PluginFolder.File::detail).orElse(null);
    }

    /** @return whether the folder lists the file as refused, for a reason that contains {@code why} */
    static boolean refused(Atrium atrium, String name, String why) {
        return file(atrium, name).map(f -> f.state().equals("refused") && f.detail().contains(why)).orElse(false);
    }

    /** @return the folder's files one a line, for a failure's message */
    static String folder(Atrium atrium) {
        return String.join("\n", files(atrium).stream().map(Object::toString).toList());
    }

    /** @return the plugin's problem, as {@code plugin:problems} prints it, if it has one */
    static Optional<PluginProblem> problem(Atrium atrium, String plugin) {
        return atrium.registry().problems().stream().filter(p -> p.plugin().equals(plugin)).findFirst();
    }

    /** @return the reason of the plugin's problem, or null when it has none */
    static String reason(Atrium atrium, String plugin) {
        return problem(atrium, plugin).map(PluginProblem::reason).orElse(null);
    }

    /** @return the plugin as {@code plugin:list} and {@code plugin:info} show it, if it is listed */
    static Optional<PluginDescriptor> plugin(Atrium atrium, String name) {
        return atrium.registry().plugin(name);
    }

    /** @return the plugin's state, or null when it is not listed */
    static PluginState state(Atrium atrium, String name) {
        return plugin(atrium, name).map(PluginDescriptor::state).orElse(null);
    }

    /** @return the plugin's calls over all its methods, as {@code plugin:stats} counts them */
    static CallStatistics calls(Atrium atrium, String plugin) {
        return using(atrium, PluginStatistics.class, s -> s.plugin(plugin));
    }

    /** @return one row per plugin method called at least once, ordered by plugin then method */
    static List<CallStatistics> methods(Atrium atrium) {
        return using(atrium, PluginStatistics.class, PluginStatistics::methods);
    }

    /** @return the calls of one plugin method, if it was called */
    static Optional<CallStatistics> calls(Atrium atrium, String plugin, String method) {
        return using(atrium, PluginStatistics.class, s -> s.methods().stream()
                .filter(c -> c.plugin().equals(plugin) && c.method().equals(method)).findFirst());
    }

    /** {@link PluginControl#reload}, what {@code plugin:reload NAME} does: @return the plugin's state afterwards */
    static PluginState reload(Atrium atrium, String plugin) {
        return using(atrium, PluginControl.class, c -> c.reload(plugin));
    }

    /** {@link PluginControl#stop}: @return the plugin's state afterwards */
    static PluginState stop(Atrium atrium, String plugin) {
        return using(atrium, PluginControl.class, c -> c.stop(plugin));
    }

    /** {@link PluginControl#start}: @return the plugin's state afterwards */
    static PluginState start(Atrium atrium, String plugin) {
        return using(atrium, PluginControl.class, c -> c.start(plugin));
    }

    /** @return the recent call spans, oldest first, as {@code plugin:traces} shows them */
    static List<CallSpan> traces(Atrium atrium) {
        return using(atrium, PluginTraces.class, PluginTraces::recent);
    }

    /**
     * Asks a service of the server, got and given back around the one query (so a component made for it
     * need not stay). Waits for it a while: the observability bundle's services come with the late part of
     * the server's start.
     */
    static <T, R> R using(Atrium atrium, Class<T> type, Function<T, R> query) {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(15).toNanos();
        while (true) {
            BundleContext ctx = atrium.bundleContext();
            try {
                // all references, checked with isInstance, as Atrium.service looks services up
                ServiceReference<?>[] refs = ctx.getAllServiceReferences(type.getName(), null);
                if (refs != null) {
                    java.util.Arrays.sort(refs, java.util.Collections.reverseOrder());
                    for (ServiceReference<?> ref : refs) {
                        Object service = ctx.getService(ref);
                        try {
                            if (type.isInstance(service)) {
                                return query.apply(type.cast(service));
                            }
                        } finally {
                            if (service != null) {
                                ctx.ungetService(ref);
                            }
                        }
                    }
                }
            } catch (InvalidSyntaxException e) {
                throw new IllegalStateException(e); // no filter
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + type.getSimpleName() + " service in the server within 15 s");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + type.getSimpleName(), e);
            }
        }
    }
}
