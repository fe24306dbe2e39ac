/**
 * What keeps an in-process plugin from ending the server: its classes are woven at load so that
 * {@code System.exit}, {@code Runtime.exit} and {@code Runtime.halt} throw instead.
 */
package io.atrium.core.guard;
