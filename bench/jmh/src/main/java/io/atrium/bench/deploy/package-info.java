/** Deploy latency and bulk-drop benchmark: Atrium's folder deployer against Felix FileInstall. */
package io.atrium.bench.deploy;
