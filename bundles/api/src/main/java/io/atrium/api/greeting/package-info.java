/**
 * The Greeter contract of the source documents' first tasks: the sample every transport implements.
 */
@Export
@Version("1.0.0")
package io.atrium.api.greeting;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
