package io.atrium.transport.support.kit;

import io.atrium.api.PluginContract;

/** A second contract of the kit's test transport, with Echo's methods: a manifest can move a plugin to it. */
@PluginContract
public interface Reverb {
    /** @return the plugin's reply followed by the text */
    String echo(String text);

    /** @return the text's length, as the instance answers it */
    int count(String text);
}
