/** The folders a wasm module is granted, as file systems in which no link leads out. */
package io.atrium.transport.wasm.files;
