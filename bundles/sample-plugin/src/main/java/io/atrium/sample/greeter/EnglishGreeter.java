package io.atrium.sample.greeter;

import io.atrium.api.PluginProperties;
import io.atrium.api.greeting.Greeter;
import org.osgi.service.component.annotations.Component;

/** The whole of an in-process plugin: a DS component implementing a contract, with a name. */
@Component(property = {
        PluginProperties.NAME + "=english",
        PluginProperties.CAPABILITIES + "=greeting.formal",
        PluginProperties.CAPABILITIES + "=greeting.lang;version=1"})
public class EnglishGreeter implements Greeter {
    @Override
    public String greet(String name) {
        return "Hello, " + name + "!";
    }
}
