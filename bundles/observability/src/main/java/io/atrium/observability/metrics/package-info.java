/** Micrometer meters of every plugin call, served in Prometheus format, and the statistics read from them. */
package io.atrium.observability.metrics;
