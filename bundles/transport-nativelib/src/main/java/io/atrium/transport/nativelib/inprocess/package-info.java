/** Native plugins whose library runs in the server's JVM. */
package io.atrium.transport.nativelib.inprocess;
