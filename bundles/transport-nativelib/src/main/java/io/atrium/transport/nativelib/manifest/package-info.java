/** A native plugin's manifest, NAME.native.json. */
package io.atrium.transport.nativelib.manifest;
