package io.atrium.bench.consumer;

import io.atrium.api.greeting.Greeter;
import java.util.function.UnaryOperator;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Greets through a DS-injected reference; exposed as a JDK interface so the benchmark needs no extra API. */
@Component(service = UnaryOperator.class, property = "atrium.bench=ds-consumer")
public class GreeterConsumer implements UnaryOperator<String> {
    @Reference(target = "(atrium.plugin.name=english)")
    Greeter greeter;

    @Override
    public String apply(String name) {
        return greeter.greet(name);
    }
}
