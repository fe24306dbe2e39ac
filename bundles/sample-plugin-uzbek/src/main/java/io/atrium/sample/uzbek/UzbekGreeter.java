package io.atrium.sample.uzbek;

import io.atrium.api.PluginProperties;
import io.atrium.api.greeting.Greeter;
import org.osgi.service.component.annotations.Component;

/** Greets in Uzbek, so the host discovers two Greeters and prints two greetings (task 2). */
@Component(property = {
        PluginProperties.NAME + "=uzbek",
        PluginProperties.CAPABILITIES + "=greeting.lang;version=1"})
public class UzbekGreeter implements Greeter {
    @Override
    public String greet(String name) {
        return "Salom, " + name + "!";
    }
}
