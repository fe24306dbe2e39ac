package tracked.contract;

import io.atrium.api.PluginContract;

/** A contract for the tracker's tests, outside io.atrium.core (whose interfaces are never contracts). */
@PluginContract
public interface Echo {
    String echo(String text);
}
