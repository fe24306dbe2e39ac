/** What recording one call's duration costs, in Atrium's meters and in the libraries that could replace them. */
package io.atrium.bench.metrics;
