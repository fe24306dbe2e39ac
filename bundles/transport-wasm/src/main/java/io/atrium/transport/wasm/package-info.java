/**
 * The wasm transport: plugins as WebAssembly modules in a pure-Java sandbox (Chicory), deployed from
 * {@code NAME.wasm.json} manifests, each seen by the host as an ordinary service of its contract.
 * The ABI and the mapping of contract methods are documented in docs/wasm.md.
 */
package io.atrium.transport.wasm;
