/** A DS component that calls a Greeter through an injected reference, as any consumer inside Atrium would. */
package io.atrium.bench.consumer;
