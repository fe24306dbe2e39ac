/** Script plugins' load and reload times (the calls are in io.atrium.bench.jmh.ScriptCallBenchmark). */
package io.atrium.bench.scripts;
