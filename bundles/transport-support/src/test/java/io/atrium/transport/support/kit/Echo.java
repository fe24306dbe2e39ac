package io.atrium.transport.support.kit;

import io.atrium.api.PluginContract;

/** The contract of the kit's test transport. */
@PluginContract
public interface Echo {
    /** @return the plugin's reply followed by the text */
    String echo(String text);

    /** @return the text's length, as the instance answers it */
    int count(String text);
}
