package io.atrium.web.console;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardResource;

/**
 * Serves the console's files (this bundle's {@code console/} folder) under {@code /console/}. The
 * page is plain HTML and JavaScript over the JSON API, so what it can do, a script can do too.
 */
@Component(service = ConsoleResources.class)
@HttpWhiteboardResource(pattern = "/console/*", prefix = "/console")
public final class ConsoleResources {
}
