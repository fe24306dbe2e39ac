/** Extism's plugin ABI, host side: the functions of {@code extism:host/env} over Java arrays. */
package io.atrium.transport.wasm.abi;
