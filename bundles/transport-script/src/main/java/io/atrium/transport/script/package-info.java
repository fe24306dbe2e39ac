/**
 * The script transport: plugins as JavaScript and Lua files in the plugin folder, interpreted in the
 * server in a sandbox, each seen by the host as an ordinary service of its contract (docs/scripts.md).
 */
package io.atrium.transport.script;
