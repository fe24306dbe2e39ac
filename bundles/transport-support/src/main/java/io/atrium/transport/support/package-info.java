/**
 * What every transport needs and none should write again: reading JSON manifests strictly, finding the
 * contract a manifest names, the proxy registered for a plugin, plugins by manifest file, and JSON for a
 * call's arguments and result. Each transport bundle embeds a private copy; nothing here is exported.
 */
package io.atrium.transport.support;
