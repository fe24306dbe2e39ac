/** Counting what happens to plugins: recorded by the core and the transports, read by metrics. */
package io.atrium.core.lifecycle;
