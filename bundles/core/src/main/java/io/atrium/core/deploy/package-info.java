/** The plugin folder: what its files say should be installed, made true in the framework. */
package io.atrium.core.deploy;
