/** JMH benchmarks; bench/jmh.sh runs them. */
package io.atrium.bench.jmh;
