package io.atrium.core.shell;

import io.atrium.api.Capability;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginProblem;
import io.atrium.api.PluginRegistry;
import io.atrium.core.registry.PluginCatalog;
import io.atrium.spi.LifecycleEvent;
import io.atrium.spi.PluginLifecycle;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The {@code plugin:} commands. Each parses its arguments, asks the registry and formats a table. */
@Component(service = PluginCommands.class, property = {
        "osgi.command.scope=plugin",
        "osgi.command.function=list",
        "osgi.command.function=info",
        "osgi.command.function=call",
        "osgi.command.function=caps",
        "osgi.command.function=problems"})
public final class PluginCommands {
    private final BundleContext context;
    private final PluginRegistry registry;
    private final PluginCatalog catalog;
    private final PluginLifecycle lifecycle;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    @Activate
    public PluginCommands(BundleContext context, @Reference PluginRegistry registry, @Reference PluginCatalog catalog,
                          @Reference PluginLifecycle lifecycle) {
        this.context = context;
        this.registry = registry;
        this.catalog = catalog;
        this.lifecycle = lifecycle;
    }

    @Descriptor("lists the plugins: name, version, contract, transport, state and bundle")
    public String list() {
        return list(null);
    }

    @Descriptor("lists the plugins of one transport")
    public String list(@Descriptor("a transport id, e.g. in-process, process, wasm") String transport) {
        if (transport != null) {
            PluginDescriptor.checkTransportId(transport);
        }
        TextTable table = new TextTable("NAME", "VERSION", "CONTRACT", "TRANSPORT", "STATE", "BUNDLE");
        for (PluginDescriptor p : registry.plugins()) {
            if (transport != null && !p.transportId().equals(transport)) {
                continue;
            }
            table.row(p.name(), p.version(), p.contractSimpleName(), p.transportId(), p.state(), p.source() + " [" + p.bundleId() + "]");
        }
        int problems = registry.problems().size();
        return table + (problems == 0 ? "" : problems + " problem(s): see plugin:problems\n");
    }

    @Descriptor("shows everything Atrium knows about one plugin")
    public String info(@Descriptor("the plugin's name") String name) {
        PluginDescriptor p = find(name);
        TextTable table = new TextTable("FIELD", "VALUE")
                .row("name", p.name())
                .row("version", p.version())
                .row("contract", p.contract())
                .row("transport", p.transportId())
                .row("state", p.state())
                .row("capabilities", p.capabilities().isEmpty() ? "(none)" : join(p.capabilities()))
                .row("bundle", p.bundleId())
                .row("source", p.source());
        catalog.providerOf(name).ifPresent(provider -> provider.details(name).forEach(table::row));
        PluginLifecycle.LastError last = lifecycle.lastErrors().get(name);
        if (last != null) { // kept once it runs again: a crash's exit status is known only after its calls failed
            table.row("last error", (last.event() == LifecycleEvent.CRASH ? "crash" : "failure") + " at " + CLOCK.format(last.at())
                    + ": " + last.reason());
        }
        return table.toString();
    }

    @Descriptor("calls a contract method of a plugin (or a function of a plugin with no contract) and prints its result")
    public Object call(@Descriptor("the plugin's name") String name,
                       @Descriptor("the contract method, or the function") String method,
                       @Descriptor("the method's arguments, converted to its parameter types; a function's one input, as it is") String... args) {
        PluginCatalog.Entry entry = catalog.entry(name).orElseThrow(() -> notCallable(name));
        Object result = PluginInvoker.invoke(context, entry, method, args);
        return result == null ? "(no result)" : result;
    }

    @Descriptor("lists the capabilities a plugin declares")
    public String caps(@Descriptor("the plugin's name") String name) {
        PluginDescriptor p = find(name);
        TextTable table = new TextTable("CAPABILITY", "VERSION");
        for (Capability c : p.capabilities()) {
            table.row(c.name(), c.version() == 0 ? "-" : c.version());
        }
        return p.capabilities().isEmpty() ? "plugin '" + name + "' declares no capabilities\n" : table.toString();
    }

    @Descriptor("lists plugins that failed to resolve, start or register, one line each with the reason")
    public String problems() {
        List<PluginProblem> problems = registry.problems();
        if (problems.isEmpty()) {
            return "no problems\n";
        }
        StringBuilder out = new StringBuilder();
        for (PluginProblem p : problems) {
            out.append(p.plugin()).append(" (").append(p.source()).append("): ").append(p.reason()).append('\n');
        }
        return out.toString();
    }

    private PluginDescriptor find(String name) {
        return registry.plugin(name).orElseThrow(() -> unknown(name));
    }

    /** Unknown, or known but not callable now (a process plugin starting or failed): say which. */
    private CommandError notCallable(String name) {
        return registry.plugin(name)
                .map(p -> new CommandError("plugin '" + name + "' is " + p.state() + ", not callable now"
                        + registry.problems().stream().filter(pr -> pr.plugin().equals(name))
                                .map(pr -> ": " + pr.reason()).findFirst().orElse("")))
                .orElseGet(() -> unknown(name));
    }

    private CommandError unknown(String name) {
        List<String> names = registry.plugins().stream().map(PluginDescriptor::name).toList();
        return new CommandError("unknown plugin '" + name + "'" + (names.isEmpty() ? " (no plugins are registered)"
                : " (known: " + String.join(", ", names) + ")"));
    }

    private static String join(List<Capability> caps) {
        return String.join(", ", caps.stream().map(Capability::toString).toList());
    }
}
