/** The plugin registry: every service of a contract interface, described, over the OSGi service registry. */
package io.atrium.core.registry;
