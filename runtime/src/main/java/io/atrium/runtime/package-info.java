/**
 * Embedding Atrium in a product: {@link io.atrium.runtime.Atrium#builder()} configures and starts
 * an Atrium server (Apache Felix with Atrium's base set) inside the product's JVM.
 */
package io.atrium.runtime;
