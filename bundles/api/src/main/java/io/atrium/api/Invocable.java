package io.atrium.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The contract of a plugin that has no Java interface of its own: functions called by name, each
 * taking one input and giving one output, as text. A wasm module's exports and a process plugin's
 * methods are its functions; a manifest that names no {@code contract} deploys its plugin under this
 * one. Consumers find it as any contract's service, by its {@link PluginProperties#NAME}; the functions
 * it declares are its {@link PluginProperties#FUNCTIONS} property, and calls are counted, timed and
 * traced per declared function (an undeclared name is counted under {@code call}).
 *
 * <p>How the text crosses depends on what the plugin takes: a plugin of JSON (a process plugin, or a
 * wasm module with {@code "encoding": "json"}) reads the input as its JSON arguments (an array:
 * positional, an object: named, any other value: the one argument, empty: none) and answers JSON; an
 * Extism module (the default for a wasm plugin with no contract) gets the input's UTF-8 bytes as they
 * are and answers whatever bytes it outputs, as UTF-8 text.
 *
 * @since 1.3
 */
@PluginContract
@ConsumerType
public interface Invocable {
    /**
     * @param function the function's name, e.g. {@code count_vowels}
     * @param input    its input (empty for none)
     * @return its output, e.g. {@code {"count":3,"total":3,"vowels":"aeiouAEIOU"}}
     * @throws PluginRejectedException when the plugin has no such function, or the input is not JSON for a
     *                                 plugin that takes JSON (a process plugin that declares no functions is sent
     *                                 any name: one it lacks is its own error, a {@link PluginException})
     * @throws PluginException         when the function fails; its subtypes say how (timeout, crash, unavailable)
     */
    String call(String function, String input);
}
