package org.carapace.secoc.internal;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.osgi.service.log.Logger;

/** Component property types and a logger for constructing components in plain unit tests. */
final class Configs {

    private Configs() {
    }

    /** An instance of a DS property type: values from the map (by DS name, '_' as '.'), else the method's default. */
    @SuppressWarnings("unchecked")
    static <A> A of(Class<A> type, Map<String, Object> values) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            String key = method.getName().replace('_', '.');
            if (values.containsKey(key)) {
                return coerce(values.get(key), method);
            }
            if (method.getDefaultValue() != null) {
                return method.getDefaultValue();
            }
            if (method.getName().equals("toString")) {
                return type.getSimpleName() + values;
            }
            return null;
        });
    }

    private static Object coerce(Object value, Method method) {
        Class<?> t = method.getReturnType();
        if (t == int.class) {
            return ((Number) value).intValue();
        }
        if (t == long.class) {
            return ((Number) value).longValue();
        }
        return value;
    }

    /** A logger that keeps every formatted line (to check that no secret is ever logged). */
    static final class RecordingLogger {
        final List<String> lines = new ArrayList<>();

        Logger logger() {
            return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class}, (proxy, method, args) -> {
                if (method.getReturnType() == boolean.class) {
                    return true;
                }
                if (method.getReturnType() == String.class) {
                    return "test";
                }
                if (args != null && args.length > 0 && args[0] instanceof String) {
                    StringBuilder line = new StringBuilder(method.getName()).append(' ').append(args[0]);
                    for (int i = 1; i < args.length; i++) {
                        Object a = args[i];
                        if (a instanceof Object[]) {
                            for (Object o : (Object[]) a) {
                                line.append(" | ").append(o);
                            }
                        } else {
                            line.append(" | ").append(a);
                        }
                    }
                    synchronized (lines) {
                        lines.add(line.toString());
                    }
                }
                return null;
            });
        }
    }
}
