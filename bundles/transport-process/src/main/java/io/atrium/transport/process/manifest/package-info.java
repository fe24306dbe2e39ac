/** A process plugin's manifest file: what it says, checked field by field with one-line reasons. */
package io.atrium.transport.process.manifest;
