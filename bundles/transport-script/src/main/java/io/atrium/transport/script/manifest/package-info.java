/** A script plugin's file read: its header (the manifest in its first comment), its language and limits. */
package io.atrium.transport.script.manifest;
