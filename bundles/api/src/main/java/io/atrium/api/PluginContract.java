package io.atrium.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an interface as a plugin contract. Every OSGi service registered under a contract
 * interface is a plugin: the {@link PluginRegistry} lists it, the shell can call it, and
 * Atrium instruments it, whether it runs in-process, in a subprocess or in a WASM sandbox.
 *
 * <p>Put contracts in their own exported, versioned API package, so that a plugin built
 * against an incompatible version fails to resolve instead of failing at run time.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface PluginContract {
}
