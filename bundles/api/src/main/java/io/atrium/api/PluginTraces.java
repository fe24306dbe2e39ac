package io.atrium.api;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The spans of the most recent plugin calls, kept in memory whether or not they are also exported:
 * what {@code plugin:traces} shows. A service, present while Atrium's tracing runs.
 */
@ProviderType
public interface PluginTraces {

    /** @return the recent call spans, oldest first */
    List<CallSpan> recent();
}
