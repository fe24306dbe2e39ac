package io.atrium.core.shell;

import org.apache.felix.service.command.Converter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Turns a bundle id or symbolic name typed in a command into a {@link Bundle}, so that Felix's own
 * commands ({@code headers 9}, {@code start 12}) work wherever commands run: through {@code atrium client},
 * {@code --command} and the embedding API too. Gogo's converter for bundles lives in its console bundle,
 * which starts only on a terminal.
 */
@Component(service = Converter.class)
public final class BundleConverter implements Converter {
    private final BundleContext context;

    @Activate
    public BundleConverter(BundleContext context) {
        this.context = context;
    }

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        if (desiredType != Bundle.class || in == null) {
            return null; // not ours: Gogo tries its other converters
        }
        String text = in.toString().trim();
        if (text.matches("\\d{1,18}")) {
            return context.getBundle(Long.parseLong(text));
        }
        for (Bundle b : context.getBundles()) {
            if (text.equals(b.getSymbolicName()) || text.equals(b.getLocation())) {
                return b;
            }
        }
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        return null; // Gogo's own formatting serves
    }
}
