/** Which plugin bundles Atrium trusts: jar signatures checked against a trust store, by policy. */
package io.atrium.core.trust;
