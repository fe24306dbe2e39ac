/** Atrium's C ABI in Java: a library opened with JNA, its call path bound by direct mapping. */
package io.atrium.transport.nativelib.abi;
