package org.carapace.monitoring.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.carapace.api.monitoring.QualifiedEvent;

/**
 * How much of a reporter's message and context leaves the device (UN R155 asks for bounded forensic data). Anything
 * longer is cut, values of other kinds become their string form, nested maps are flattened to strings, and the
 * event is marked {@code truncated}.
 *
 * @param maxMessageChars longest message
 * @param maxEntries most context entries
 * @param maxValueChars longest string value (and key)
 * @param maxListElements most elements of a list value
 */
record ContextBounds(int maxMessageChars, int maxEntries, int maxValueChars, int maxListElements) {

    private static final java.util.regex.Pattern CONTROL = java.util.regex.Pattern.compile("[\\x00-\\x08\\x0A-\\x1F\\x7F-\\x9F]");

    ContextBounds {
        check("maxMessageChars", maxMessageChars, QualifiedEvent.MAX_MESSAGE_CHARS);
        check("maxContextEntries", maxEntries, QualifiedEvent.MAX_CONTEXT_ENTRIES);
        check("maxContextValueChars", maxValueChars, QualifiedEvent.MAX_CONTEXT_VALUE_CHARS);
        check("maxContextListElements", maxListElements, QualifiedEvent.MAX_CONTEXT_LIST_ELEMENTS);
    }

    private static void check(String name, int value, int max) {
        if (value < 1 || value > max) {
            throw new IllegalArgumentException(name + " must be 1 to " + max + ", was " + value);
        }
    }

    /** A bounded message or context and whether anything was cut. */
    record Bounded<T>(T value, boolean truncated) {
    }

    Bounded<String> message(Object raw) {
        String text = raw == null ? "" : String.valueOf(raw);
        // control characters (a newline above all) would let a reporter forge extra lines in human logs
        if (hasControl(text)) {
            text = CONTROL.matcher(text).replaceAll(" ");
        }
        return text.length() > maxMessageChars ? new Bounded<>(text.substring(0, maxMessageChars), true) : new Bounded<>(text, false);
    }

    private static boolean hasControl(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\t' || c >= 0x7F && c <= 0x9F) { // C0 (but tab), DEL, C1 as in CONTROL
                return true;
            }
        }
        return false;
    }

    Bounded<Map<String, Object>> context(Object raw) {
        if (raw == null) {
            return new Bounded<>(Map.of(), false);
        }
        if (!(raw instanceof Map)) {
            return new Bounded<>(Map.of("value", cut(String.valueOf(raw))), true);
        }
        boolean truncated = false;
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) raw).entrySet()) {
            if (entry.getKey() == null || entry.getValue() == null) {
                truncated = true;
                continue;
            }
            if (out.size() == maxEntries) {
                truncated = true;
                break;
            }
            String key = String.valueOf(entry.getKey());
            if (key.isEmpty()) {
                truncated = true;
                continue;
            }
            if (key.length() > Math.min(maxValueChars, QualifiedEvent.MAX_CONTEXT_KEY_CHARS)) {
                key = key.substring(0, Math.min(maxValueChars, QualifiedEvent.MAX_CONTEXT_KEY_CHARS));
                truncated = true;
            }
            Object value = entry.getValue();
            Object bounded;
            if (value instanceof List || value instanceof Object[]) {
                List<?> list = value instanceof List ? (List<?>) value : List.of((Object[]) value);
                List<Object> copy = new ArrayList<>();
                for (Object element : list) {
                    if (copy.size() == maxListElements) {
                        truncated = true;
                        break;
                    }
                    Object scalar = scalar(element);
                    truncated |= scalar != element;
                    copy.add(scalar);
                }
                bounded = copy;
            } else {
                bounded = scalar(value);
                truncated |= bounded != value;
            }
            out.put(key, bounded);
        }
        return new Bounded<>(out, truncated);
    }

    /** The value itself when it is a kind the model carries and fits, else a (cut) string. */
    private Object scalar(Object value) {
        if (value instanceof Boolean || value instanceof Long || value instanceof Integer || value instanceof Short
            || value instanceof Byte) {
            return value;
        }
        if ((value instanceof Double || value instanceof Float) && Double.isFinite(((Number) value).doubleValue())) {
            return value;
        }
        if (value instanceof String && ((String) value).length() <= maxValueChars) {
            return value;
        }
        return cut(String.valueOf(value));
    }

    private String cut(String text) {
        return text.length() > maxValueChars ? text.substring(0, maxValueChars) : text;
    }
}
