import io.atrium.api.greeting.Greeter;
import io.atrium.plugin.sdk.PluginServer;

/**
 * The Greeter contract as a Java process plugin: the same interface an in-process bundle implements,
 * served over the process protocol. Run by the JDK's source launcher (see java-greeter.plugin.json).
 */
public class JavaGreeter implements Greeter {
    @Override
    public String greet(String name) {
        return "Hello from a JVM of its own, " + name + "!";
    }

    public static void main(String[] args) {
        PluginServer.serve(Greeter.class, new JavaGreeter(), "java-greeter", "1.0.0", "greet");
    }
}
