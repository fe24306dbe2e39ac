/** Load-time figures of the wasm transport (bench/wasm-load.sh). */
package io.atrium.bench.wasm;
