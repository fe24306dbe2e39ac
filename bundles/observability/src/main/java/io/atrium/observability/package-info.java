/** Atrium's observability bundle: what every plugin call costs and how it ended, as metrics and traces. */
package io.atrium.observability;
