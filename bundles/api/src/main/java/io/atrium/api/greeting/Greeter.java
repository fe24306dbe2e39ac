package io.atrium.api.greeting;

import io.atrium.api.PluginContract;
import org.osgi.annotation.versioning.ConsumerType;

/** Greets someone by name, in the plugin's own language. */
@PluginContract
@ConsumerType
public interface Greeter {
    /**
     * @param name who to greet
     * @return the greeting, e.g. {@code Hello, World!}
     */
    String greet(String name);
}
