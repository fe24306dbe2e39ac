/** An OpenTelemetry span per plugin call, its context handed to transports, the recent spans kept for the shell. */
package io.atrium.observability.tracing;
