/** Stable facades in front of plugin services, so a plugin's implementation can be swapped under its consumers. */
package io.atrium.core.facade;
