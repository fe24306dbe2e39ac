package io.atrium.transport.process.protocol;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.atrium.transport.support.JsonCodec;

/** Building and reading JSON-RPC 2.0 messages, one per line. */
public final class Messages {
    /** Plain JSON: no HTML escaping, so text crosses the wire as it is. */
    public static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private Messages() {
    }

    /**
     * @param params the positional params as a JSON array, or null for none
     * @return a request line (with its newline) calling {@code method}; written by hand (the method is a
     *         Java identifier, the params already JSON), as it is on every call's path
     */
    public static String request(long id, String method, String params, long deadlineMs) {
        return request(id, method, params, deadlineMs, null, null);
    }

    /**
     * @param traceparent the W3C trace context of the call (docs/protocol.md), or null
     * @param tracestate  its vendor part, or null
     * @return a request line as {@link #request(long, String, String, long)}, carrying the trace context
     */
    public static String request(long id, String method, String params, long deadlineMs, String traceparent, String tracestate) {
        StringBuilder sb = new StringBuilder(96).append("{\"jsonrpc\":\"2.0\",\"id\":").append(id).append(",\"method\":");
        if (method.chars().allMatch(c -> Character.isJavaIdentifierPart(c) || c == '.')) {
            sb.append('"').append(method).append('"');
        } else {
            sb.append(GSON.toJson(method));
        }
        if (params != null) {
            sb.append(",\"params\":").append(params);
        }
        if (deadlineMs > 0) {
            sb.append(",\"deadlineMs\":").append(deadlineMs);
        }
        if (traceparent != null) {
            sb.append(",\"traceparent\":").append(GSON.toJson(traceparent));
            if (tracestate != null && !tracestate.isEmpty()) {
                sb.append(",\"tracestate\":").append(GSON.toJson(tracestate));
            }
        }
        return sb.append("}\n").toString();
    }

    /** @return a success response line */
    public static String result(JsonElement id, JsonElement result) {
        JsonObject o = new JsonObject();
        o.addProperty("jsonrpc", "2.0");
        o.add("id", id);
        o.add("result", result);
        return GSON.toJson(o) + "\n";
    }

    /** @return an error response line */
    public static String error(JsonElement id, int code, String message) {
        JsonObject o = new JsonObject();
        o.addProperty("jsonrpc", "2.0");
        o.add("id", id);
        JsonObject e = new JsonObject();
        e.addProperty("code", code);
        e.addProperty("message", message);
        o.add("error", e);
        return GSON.toJson(o) + "\n";
    }

    /**
     * @param line a frame from the plugin, stripped
     * @return its JSON object, or null when it is not one (a malformed frame: the host kills the plugin)
     */
    public static JsonObject object(String line) {
        try {
            JsonElement e = JsonParser.parseString(line);
            return e.isJsonObject() && !JsonCodec.tooDeep(line) ? e.getAsJsonObject() : null;
        } catch (JsonParseException | IllegalStateException e) {
            return null;
        }
    }

    /**
     * @return the id of an answer to one of the host's calls: a whole number that fits a long (the host's
     *         ids are), or null when the frame's id is absent or anything else
     */
    public static Long answerId(JsonObject msg) {
        JsonElement id = msg.get("id");
        if (id == null || !id.isJsonPrimitive() || !id.getAsJsonPrimitive().isNumber()) {
            return null;
        }
        String text = id.getAsString();
        if (!text.isEmpty() && text.length() <= 18 && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Long.parseLong(text); // what the host sends: a plain whole number (the call path takes this)
        }
        try {
            // not getAsLong: it reads 1.5 as 1 and 1e400 as 0, answering a call the plugin did not answer
            return new java.math.BigDecimal(text).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            return null;
        }
    }

    /**
     * @param msg a frame without a method, whose {@link #answerId} is null
     * @return why it answers nothing, when it is an answer (it has a result or an error) with an id the host
     *         never sends, e.g. {@code with the string id "7" ...}; null when it is no answer at all
     */
    public static String idProblem(JsonObject msg) {
        if (!msg.has("result") && !msg.has("error")) {
            return null;
        }
        JsonElement id = msg.get("id");
        if (id == null || id.isJsonNull()) {
            return "without an id";
        }
        String shown = io.atrium.transport.support.Escape.oneLine(cut(id.toString())); // (the frame is not too deep: object() read it)
        if (id.isJsonPrimitive() && id.getAsJsonPrimitive().isString()) {
            return "with the string id " + shown + ": the host's ids are whole numbers, and an answer carries its request's id as it came";
        }
        return "with the id " + shown + ", which is not a request's id: the host's ids are whole numbers";
    }

    private static String cut(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "…" : text;
    }

    /** @return the member as a string, or null when absent or not a string */
    public static String string(JsonObject o, String member) {
        JsonElement e = o.get(member);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString() ? e.getAsString() : null;
    }

    /** @return the text quoted and cut to a readable length for a one-line message */
    public static String quote(String text) {
        String t = text.length() > 80 ? text.substring(0, 80) + "…" : text;
        return "'" + io.atrium.transport.support.Escape.oneLine(t) + "'"; // one escaping for every line we log
    }
}
