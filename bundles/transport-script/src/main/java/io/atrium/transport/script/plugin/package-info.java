/** A script plugin's life on the kit: the loaded version, its calls one at a time, what plugin:info shows. */
package io.atrium.transport.script.plugin;
