/** Running modules on Chicory: loading and compiling once, pooled instances, deadlines, the contract proxy. */
package io.atrium.transport.wasm.engine;
