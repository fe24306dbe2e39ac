/** Reloading, stopping and starting plugins by name, whatever their transport. */
package io.atrium.core.control;
