/** The build's weaving step (run by this module's pom at process-classes, then its classes removed: not part of the bundle). */
package io.atrium.transport.script.weaving;
