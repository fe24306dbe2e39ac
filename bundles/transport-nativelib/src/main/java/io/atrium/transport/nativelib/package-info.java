/**
 * The native transport: shared libraries exporting Atrium's C ABI as plugins of a Java contract.
 * Private to its bundle.
 */
package io.atrium.transport.nativelib;
