package io.atrium.transport.support;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.function.Supplier;

/** The object a transport registers for a plugin: an instance of its contract whose calls go to the transport. */
public final class ContractProxy {
    /** What a call of a contract method becomes. */
    @FunctionalInterface
    public interface Calls {
        Object call(Method method, Object[] args);
    }

    private ContractProxy() {
    }

    /**
     * @param contract    the contract interface
     * @param description what {@code toString} says, e.g. {@code process plugin 'x' (…Greeter)}
     * @param calls       where contract calls go; {@code Object}'s methods are answered here
     * @return the proxy
     */
    public static Object of(Class<?> contract, Supplier<String> description, Calls calls) {
        return Proxy.newProxyInstance(contract.getClassLoader(), new Class<?>[] {contract}, (p, m, args) -> {
            if (m.getDeclaringClass() == Object.class) {
                return switch (m.getName()) {
                    case "toString" -> description.get();
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == args[0];
                    default -> throw new UnsupportedOperationException(m.getName());
                };
            }
            return calls.call(m, args);
        });
    }
}
