/** A wasm plugin's manifest, {@code NAME.wasm.json}. */
package io.atrium.transport.wasm.manifest;
