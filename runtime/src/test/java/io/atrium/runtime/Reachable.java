package io.atrium.runtime;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Finds an object of a transport's inner workings (a plugin's process, its wasm instance pool) from the
 * service it registered, through Atrium's own fields only: the test can then hold it weakly and see it
 * collected once it is replaced. Depends on no field name, only on the class's simple name.
 */
final class Reachable {
    private Reachable() {
    }

    /** @return the first object of that simple class name reachable from {@code root}, or null */
    static Object find(Object root, String simpleName, int maxDepth) {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object[]> queue = new ArrayDeque<>();
        queue.add(new Object[] {root, 0});
        while (!queue.isEmpty()) {
            Object[] item = queue.poll();
            Object o = item[0];
            int depth = (Integer) item[1];
            if (o == null || !seen.add(o)) {
                continue;
            }
            if (o.getClass().getSimpleName().equals(simpleName)) {
                return o;
            }
            if (depth == maxDepth) {
                continue;
            }
            if (Proxy.isProxyClass(o.getClass())) {
                queue.add(new Object[] {Proxy.getInvocationHandler(o), depth + 1});
                continue;
            }
            if (!o.getClass().getName().startsWith("io.atrium.")) {
                continue; // the framework, the JDK: not where a transport keeps its plugin
            }
            for (Class<?> c = o.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                        continue;
                    }
                    try {
                        f.setAccessible(true);
                        queue.add(new Object[] {f.get(o), depth + 1});
                    } catch (ReflectiveOperationException | RuntimeException inaccessible) {
                        // not a way through
                    }
                }
            }
        }
        return null;
    }
}
