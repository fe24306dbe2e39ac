package io.atrium.transport.support.kit;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import io.atrium.api.Invocable;
import io.atrium.api.PluginRejectedException;
import io.atrium.transport.support.Escape;
import io.atrium.transport.support.JsonCodec;
import java.io.IOException;
import java.io.StringReader;
import java.util.Collection;

/**
 * The call path of a plugin with no contract of its own, an {@link Invocable}, the same for every
 * transport: the function's name checked before the plugin sees it (a caller picks it), and, for a
 * plugin that takes JSON, the input read as its arguments. Both refusals are the caller's: a
 * {@link PluginRejectedException} in one line naming the plugin.
 */
public final class Functions {
    private Functions() {
    }

    /** @return whether the contract is {@link Invocable}: its plugins' functions are called by name */
    public static boolean isInvocable(Class<?> contract) {
        return contract.getName().equals(Invocable.class.getName());
    }

    /**
     * @param plugin   the plugin's name
     * @param function the name a caller gave
     * @param callable the functions the plugin has, or null when it cannot tell (any name goes to it)
     * @return the name
     * @throws PluginRejectedException when it is no function name, or not one of {@code callable}
     */
    public static String checked(String plugin, String function, Collection<String> callable) {
        if (!ManifestBasics.isFunctionName(function)) {
            throw new PluginRejectedException(plugin, (function == null ? "no function" : "'" + Escape.oneLine(shorten(function)) + "'")
                    + " is not a function name (letters, digits and '_', not starting with a digit)");
        }
        if (callable != null && !callable.contains(function)) {
            throw new PluginRejectedException(plugin, "has no function '" + function + "' (it has: " + some(callable) + ")");
        }
        return function;
    }

    /** How many functions a refusal names: a module may export thousands, and a caller may make up a name per call. */
    private static final int NAMED = 10;

    private static String some(Collection<String> functions) {
        if (functions.isEmpty()) {
            return "none";
        }
        java.util.List<String> sorted = functions.stream().sorted().toList();
        return sorted.size() <= NAMED ? String.join(", ", sorted)
                : String.join(", ", sorted.subList(0, NAMED)) + " and " + (sorted.size() - NAMED) + " more";
    }

    /**
     * @param plugin   the plugin's name
     * @param function the function called, for the message
     * @param input    the caller's input: JSON, or empty for no arguments
     * @return the arguments as the JSON the plugin reads, in one line: an array or an object as given, any other
     *         value as the one element of an array, empty input as {@code []}
     * @throws PluginRejectedException when the input is not one JSON value
     */
    public static String jsonArguments(String plugin, String function, String input) {
        if (input == null || input.isBlank()) {
            return "[]";
        }
        JsonElement value = oneValue(input);
        if (value == null) {
            throw notJson(plugin, function, input);
        }
        if (JsonCodec.tooDeep(input)) {
            throw new PluginRejectedException(plugin, "the input of " + function + " nests deeper than " + JsonCodec.MAX_DEPTH + " levels");
        }
        // written anew, not as given: JSON's line breaks between tokens would end a process plugin's request line
        String compact = value.toString();
        return value.isJsonArray() || value.isJsonObject() ? compact : "[" + compact + "]";
    }

    /**
     * @param plugin   the plugin's name
     * @param function the function that answered
     * @param output   its output, from a plugin that answers JSON
     * @throws io.atrium.api.PluginException when it is not one JSON value
     */
    public static void checkJson(String plugin, String function, String output) {
        if (oneValue(output) != null && !JsonCodec.tooDeep(output)) {
            return;
        }
        throw new io.atrium.api.PluginException(plugin, function + " returned '" + Escape.oneLine(shorten(output)) + "', which is not JSON", null);
    }

    /** @return the text's one JSON value (strict: no comments, no trailing text), or null when it is not one */
    private static JsonElement oneValue(String text) {
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            JsonElement value = JsonParser.parseReader(reader);
            return reader.peek() == JsonToken.END_DOCUMENT ? value : null;
        } catch (JsonParseException | IOException | IllegalStateException e) {
            return null;
        }
    }

    private static PluginRejectedException notJson(String plugin, String function, String input) {
        return new PluginRejectedException(plugin, "the input of " + function + " is not JSON: '" + Escape.oneLine(shorten(input))
                + "' (a string is quoted: \"World\"; several arguments are an array: [\"World\", 2])");
    }

    private static String shorten(String text) {
        return text.length() > 60 ? text.substring(0, 60) + "…" : text;
    }
}
