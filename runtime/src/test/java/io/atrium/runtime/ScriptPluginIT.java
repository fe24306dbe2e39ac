package io.atrium.runtime;

import static io.atrium.runtime.DeployIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.Invocable;
import io.atrium.api.PluginDescriptor;
import io.atrium.api.PluginException;
import io.atrium.api.PluginState;
import io.atrium.api.PluginTimeoutException;
import io.atrium.api.greeting.Greeter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** JavaScript files as plugins on a real server, in a real watched folder: live, sandboxed, under a budget. */
class ScriptPluginIT extends ServerWithPluginFolder {
    static final String HEADER = """
            /* atrium
            { "version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter"%s }
            */
            """;

    void js(String name, String extraHeader, String body) throws Exception {
        drop(name + ".js", HEADER.formatted(extraHeader) + body);
    }

    String info(String name) {
        return atrium.execute("plugin:info " + name).output();
    }

    /** @return whether the folder's row for the file says it is refused for a reason containing {@code why} */
    boolean refused(String file, String why) {
        return PluginFacts.refused(atrium, file, why);
    }

    void awaitRefused(String file, String why) {
        await(() -> file + " is refused with: " + why + "\n" + PluginFacts.folder(atrium), () -> refused(file, why));
    }

    @Test
    void aJavaScriptFileIsAnOrdinaryGreeter() throws Exception {
        js("hello", "", """
                const greeting = "Hello";
                function greet(name) { return /^\\s*$/.test(name) ? `${greeting}, nobody!` : `${greeting}, ${name}!`; }
                """);
        Greeter g = greeter("hello");
        assertEquals("Hello, World!", g.greet("World"));
        assertEquals("Hello, \"quoted\" \\ ünïcödé!", g.greet("\"quoted\" \\ ünïcödé"));
        assertEquals("Hello, nobody!", g.greet("  "), "regular expressions work (Rhino finds them through this bundle's class loader)");
        PluginDescriptor d = atrium.registry().plugin("hello").orElseThrow();
        assertEquals("script", d.transportId());
        assertEquals("hello.js", d.source());
        assertEquals(PluginState.ACTIVE, d.state());
        assertTrue(info("hello").lines().anyMatch(l -> l.matches("engine\\s+Rhino 1\\.9\\.\\d+ \\(JavaScript, interpreted\\)")), info("hello"));
        assertEquals("Hello, Shell!\n", atrium.execute("plugin:call hello greet Shell").output());

        Files.delete(folder.resolve("hello.js"));
        await("the plugin is gone", () -> atrium.registry().plugin("hello").isEmpty());
    }

    /** Edited under four callers: each version answers in turn, no call fails; a version that does not parse changes nothing. */
    @Test
    void editingTheFileReloadsItWithNoFailedCallAndASyntaxErrorKeepsTheOldVersion() throws Exception {
        js("live", "", "function greet(name) { return 'v1 ' + name; }\n");
        Greeter g = greeter("live");
        assertEquals("v1 x", g.greet("x"));
        try (Callers callers = new Callers(4, () -> g.greet("load"))) {
            for (int v = 2; v <= 4; v++) {
                js("live", "", "function greet(name) { return 'v" + v + " ' + name; }\n");
                String want = "v" + v + " x";
                await("version " + v + " answers", () -> g.greet("x").equals(want));
            }
            js("live", "", "function greet(name) {\n  return 'v5 ' + ;\n}\n");
            await(() -> "the broken version is refused: " + String.join("\n", log), () -> logs.contains("live.js was not deployed: live.js:5:"));
            assertEquals("v4 x", g.greet("x"), "the version before serves on");
            assertTrue(callers.answered() > 0);
            assertNull(callers.failure(), () -> "a call failed: " + callers.failure());
        }
        // the refusal names the file, the line and column, and Rhino's words, in one line
        String said = log.stream().filter(l -> l.contains("live.js was not deployed")).findFirst().orElseThrow();
        assertTrue(said.matches(".*live\\.js was not deployed: live\\.js:5:\\d+: syntax error"), said);
    }

    @Test
    void aScriptReachesNothingOfTheJvmOrTheMachine() throws Exception {
        drop("escape.js", """
                /* atrium { "version": "1.0.0", "functions": ["probe"] } */
                function probe(what) {
                  try {
                    return String(eval(what));
                  } catch (e) {
                    return 'refused: ' + e;
                  }
                }
                """);
        Invocable p = atrium.awaitService(Invocable.class, "escape", Duration.ofSeconds(30));
        for (String attempt : new String[] {"java.lang.System.exit(0)", "Packages.java.io.File", "Java.type('java.lang.Runtime')",
                "require('fs')", "load('/etc/passwd')", "readFile('/etc/passwd')", "importPackage(java.io)", "JavaImporter",
                "getClass", "''.getClass()", "new ArrayBuffer(8)", "(function(){ return this; })().java", "Object.getPrototypeOf(host).constructor.name",
                "host.log.constructor('return java')()", "host.log.call.constructor('return Packages')()"}) {
            String r = p.call("probe", "[" + com.google.gson.JsonParser.parseString("\"" + attempt.replace("'", "\\'") + "\"").toString() + "]");
            assertTrue(r.startsWith("\"refused: ") || r.equals("\"undefined\"") || r.equals("\"Object\""), attempt + " -> " + r);
        }
        assertEquals("\"4\"", p.call("probe", "[\"2 + 2\"]"), "eval of JavaScript itself runs, inside the sandbox");
        assertTrue(atrium.registry().plugin("escape").isPresent(), "the server runs on");
    }

    @Test
    void aScriptOverItsBudgetIsStoppedAndServesTheNextCall() throws Exception {
        js("spinner", ", \"limits\": {\"callTimeoutMs\": 200, \"maxStackDepth\": 100, \"maxAllocationMb\": 32}", """
                function greet(name) {
                  if (name === 'spin') { while (true) {} }
                  if (name === 'catch') { while (true) { try { while (true) {} } catch (e) {} finally { continue; } } }
                  if (name === 'deep') { return greet('deep'); }
                  if (name === 'hog') { const a = []; while (true) { a.push('x'.repeat(65536) + a.length); } }
                  if (name === 'repeat') { return 'x'.repeat(1e9); }
                  if (name === 'double') { let s = 'x'.repeat(1 << 20); for (let i = 0; i < 40; i++) { s = s + s; } return s.substring(1); }
                  return 'ok ' + name;
                }
                """);
        Greeter g = greeter("spinner");
        PluginTimeoutException spin = assertThrows(PluginTimeoutException.class, () -> g.greet("spin"));
        assertEquals("plugin 'spinner': greet ran past its CPU budget of 200 ms (limits.callTimeoutMs) and was stopped", spin.getMessage());
        assertEquals("ok after", g.greet("after"));
        assertThrows(PluginTimeoutException.class, () -> g.greet("catch"), "neither catch nor finally keeps control");
        PluginException deep = assertThrows(PluginException.class, () -> g.greet("deep"));
        assertTrue(deep.getMessage().startsWith("plugin 'spinner': spinner.js:") && deep.getMessage().contains("stack"), deep.getMessage());
        PluginException hog = assertThrows(PluginException.class, () -> g.greet("hog"));
        assertEquals("plugin 'spinner': greet allocated more than its 32 MiB (limits.maxAllocationMb) and was stopped", hog.getMessage());
        PluginException repeat = assertThrows(PluginException.class, () -> g.greet("repeat"));
        assertTrue(repeat.getMessage().contains("RangeError: repeat would make a string of 1000000000 characters, over limits.maxStringLength"),
                repeat.getMessage());
        // forty doublings are a few hundred instructions, between two ticks of the budget: each + is bounded as it is made
        PluginException doubled = assertThrows(PluginException.class, () -> g.greet("double"));
        assertTrue(doubled.getMessage().contains("RangeError: + would make a string of 33554432 characters, over limits.maxStringLength"),
                doubled.getMessage());
        assertEquals("ok still", g.greet("still"));
    }

    @Test
    void aTopLevelThatNeverEndsIsRefusedAtDeploy() throws Exception {
        js("looper", ", \"limits\": {\"callTimeoutMs\": 300}", "while (true) {}\nfunction greet(n) { return n; }\n");
        awaitRefused("looper.js", "its top level ran past its CPU budget of 300 ms");
        js("ok", "", "function greet(n) { return 'fine ' + n; }\n");
        assertEquals("fine n", greeter("ok").greet("n"), "the deployer went on");
    }

    @Test
    void errorsNameTheScriptTheLineAndWhatWentWrong() throws Exception {
        js("faulty", "", """
                function greet(name) {
                  if (name === 'throw') { throw new Error('no greeting for you'); }
                  if (name === 'type') { return helper(); }
                  if (name === 'number') { return 42; }
                  if (name === 'object') { return { a: [1, 2], f: function () {} }; }
                  return null;
                }
                function helper() { return undefined.x; }
                """);
        Greeter g = greeter("faulty");
        PluginException thrown = assertThrows(PluginException.class, () -> g.greet("throw"));
        assertEquals("plugin 'faulty': faulty.js:5: greet failed: Error: no greeting for you (in greet at faulty.js:5)", thrown.getMessage());
        PluginException type = assertThrows(PluginException.class, () -> g.greet("type"));
        assertTrue(type.getMessage().matches("plugin 'faulty': faulty\\.js:11: greet failed: TypeError: .*undefined.* \\(in helper at faulty\\.js:11, "
                + "called from greet at faulty\\.js:6\\)"), type.getMessage());
        assertEquals("42", g.greet("number"), "a number where a string is due is JSON for a String");
        PluginException wrong = assertThrows(PluginException.class, () -> g.greet("object"));
        assertEquals("plugin 'faulty': greet returned '{\"a\":[1,2]}', which is not JSON for a java.lang.String", wrong.getMessage());
        assertNull(g.greet("null"));

        js("unfinished", "", "function hello(name) { return name; }\n");
        awaitRefused("unfinished.js", "defines no function greet, which Greeter.greet needs (it defines: hello)");
    }

    @Test
    void badFilesAreRefusedInOneLineAndTheServerRunsOn() throws Exception {
        Files.write(folder.resolve("empty.js"), new byte[0]);
        Files.write(folder.resolve("binary.js"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13});
        Files.write(folder.resolve("latin1.js"), ("/* atrium {\"version\": \"1.0.0\"} */ // caf" + (char) 0xe9).getBytes(StandardCharsets.ISO_8859_1));
        Files.writeString(folder.resolve("nul.js"), "/* atrium {\"version\": \"1.0.0\"} */\nfunction f() {}\n\0");
        Files.writeString(folder.resolve("headless.js"), "function greet(n) { return n; }\n");
        Files.writeString(folder.resolve("badjson.js"), "/* atrium { \"version\": 1.0.0 } */\n");
        Files.writeString(folder.resolve("unknown.js"), "/* atrium { \"version\": \"1.0.0\", \"contrakt\": \"x\" } */\n");
        // the deployer reads a file of a transport up to its limit (1 MiB unless configured), a script's own limit is 4 MiB
        Files.writeString(folder.resolve("huge.js"), "/* atrium {\"version\": \"1.0.0\"} */\n" + "// padding\n".repeat(500_000));
        awaitRefused("empty.js", "is empty");
        awaitRefused("binary.js", "is not UTF-8 text");
        awaitRefused("latin1.js", "is not UTF-8 text");
        awaitRefused("nul.js", "holds a NUL character at line 3: not a script");
        awaitRefused("headless.js", "has no atrium header: a script plugin starts with its manifest in a comment, /* atrium {");
        awaitRefused("badjson.js", "header: not valid JSON");
        awaitRefused("unknown.js", "contrakt");
        awaitRefused("huge.js", "is 5500034 bytes, more than the 1048576 a configuration or manifest may be");
        for (String f : new String[] {"empty.js", "binary.js", "headless.js", "badjson.js", "huge.js"}) {
            String detail = PluginFacts.file(atrium, f).orElseThrow().detail();
            assertFalse(detail.contains("\n"), detail);
        }
        js("after", "", "function greet(n) { return 'still ' + n; }\n");
        assertEquals("still here", greeter("after").greet("here"));
    }

    @Test
    void aScriptWithNoContractIsCalledByName() throws Exception {
        drop("calc.js", """
                /* atrium { "version": "2.0.0" } */
                function add(a, b) { return a + b; }
                function describe(o) { return { name: o.name, tags: o.tags.length, nested: [1, 'two', null] }; }
                """);
        Invocable calc = atrium.awaitService(Invocable.class, "calc", Duration.ofSeconds(30));
        assertEquals("5", calc.call("add", "[2, 3]"));
        assertEquals("{\"name\":\"n\",\"tags\":2,\"nested\":[1,\"two\",null]}", calc.call("describe", "{\"name\": \"n\", \"tags\": [\"a\", \"b\"]}"));
        assertEquals("5\n", atrium.execute("plugin:call calc add '[2,3]'").output());
        assertTrue(info("calc").lines().anyMatch(l -> l.matches("functions\\s+add, describe")), info("calc"));
    }

    @Test
    void aLuaFileIsAnOrdinaryGreeterInItsOwnSandbox() throws Exception {
        drop("hola.lua", """
                --[[ atrium
                { "version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "limits": {"callTimeoutMs": 200} }
                ]]
                local greeting = "Hola"
                function greet(name)
                  if name == "spin" then while true do end end
                  if name == "pcall" then while true do pcall(function() while true do end end) end end
                  if name == "fail" then return helper() end
                  if name == "rep" then return ("x"):rep(1e9) end if name == "double" then local s = ("x"):rep(1048576) for i = 1, 40 do s = s .. s end return s end
                  if name == "deep" then return deep(1) end
                  if name == "os" then return os.execute("id") end
                  if name == "io" then return io.open("/etc/passwd"):read("*a") end
                  if name == "probe" then
                    local found = {}
                    for _, n in ipairs({"os", "io", "require", "package", "luajava", "dofile", "loadfile", "load", "debug", "coroutine",
                                        "collectgarbage"}) do
                      if _G[n] ~= nil then found[#found + 1] = n end
                    end
                    local ok = pcall(function() getmetatable("").__index = {} end)
                    if ok then found[#found + 1] = "the strings' metatable" end
                    string.upper = function() return "mine" end
                    return "reached: " .. table.concat(found, ", ") .. "; " .. ("a"):upper()
                  end
                  return greeting .. ", " .. name .. "!"
                end
                function helper() return nil .. "x" end
                function deep(n) return 1 + deep(n + 1) end
                """);
        Greeter g = greeter("hola");
        assertEquals("Hola, Mundo!", g.greet("Mundo"));
        assertEquals("script", atrium.registry().plugin("hola").orElseThrow().transportId());
        assertTrue(info("hola").lines().anyMatch(l -> l.matches("engine\\s+LuaJ 3\\.0\\.1 \\(Lua 5\\.2, interpreted\\)")), info("hola"));
        assertEquals("reached: ; A", g.greet("probe"), "nothing outside the sandbox, and its own string table is its own");
        PluginTimeoutException spin = assertThrows(PluginTimeoutException.class, () -> g.greet("spin"));
        assertEquals("plugin 'hola': greet ran past its CPU budget of 200 ms (limits.callTimeoutMs) and was stopped", spin.getMessage());
        assertThrows(PluginTimeoutException.class, () -> g.greet("pcall"), "pcall does not keep control");
        PluginException fail = assertThrows(PluginException.class, () -> g.greet("fail"));
        assertTrue(fail.getMessage().startsWith("plugin 'hola': hola.lua:26: greet failed: attempt to concatenate nil and string"), fail.getMessage());
        assertTrue(fail.getMessage().endsWith("(in a function at hola.lua:26)"), fail.getMessage());
        PluginException deep = assertThrows(PluginException.class, () -> g.greet("deep"));
        assertTrue(deep.getMessage().startsWith("plugin 'hola': hola.lua") && deep.getMessage().contains("stack overflow")
                || deep.getMessage().contains("nested too deep"), deep.getMessage());
        PluginException os = assertThrows(PluginException.class, () -> g.greet("os"));
        assertTrue(os.getMessage().matches("plugin 'hola': hola\\.lua:11: greet failed: attempt to index .*nil.*"), os.getMessage());
        PluginException io = assertThrows(PluginException.class, () -> g.greet("io"));
        assertTrue(io.getMessage().matches("plugin 'hola': hola\\.lua:12: greet failed: attempt to index .*nil.*"), io.getMessage());
        PluginException rep = assertThrows(PluginException.class, () -> g.greet("rep"));
        assertTrue(rep.getMessage().contains("string.rep would make a string of 1000000000 characters"), rep.getMessage());
        PluginException doubled = assertThrows(PluginException.class, () -> g.greet("double"));
        assertTrue(doubled.getMessage().contains(".. would make a string of 33554432 bytes, over limits.maxStringLength"), doubled.getMessage());
        assertEquals("Hola, otra vez!", g.greet("otra vez"));
    }

    /** The examples, as the docs tell an operator to deploy them: copied into the folder. */
    @Test
    void theExampleGreetersInJavaScriptAndLuaAnswerAlike() throws Exception {
        java.nio.file.Path examples = java.nio.file.Path.of("..", "examples", "scripts").toAbsolutePath().normalize();
        place(examples.resolve("greeter.js"), "greeter-js.js");
        place(examples.resolve("greeter.lua"), "greeter-lua.lua");
        for (String name : new String[] {"World", "\"quoted\" \\ ünïcödé", " "}) {
            assertEquals(greeter("greeter-js").greet(name), greeter("greeter-lua").greet(name), name);
        }
        assertEquals("Hello, World!", greeter("greeter-lua").greet("World"));
        await("host.log reached the server's log under the plugin's name", () -> logs.contains("plugin 'greeter-lua': greeted nobody")
                && logs.contains("plugin 'greeter-js': greeted nobody"));
    }

    /** host.config is the configuration file of the plugin's name, read live: an edit reaches the script with no reload. */
    @Test
    void hostConfigIsTheFileOfThePluginsNameReadLive() throws Exception {
        drop("configured.cfg", "greeting = Salom\ncount = 3\n");
        // its calls are counted in its globals: a reload would start the count again
        js("configured", "", "let calls = 0;\nfunction greet(name) { calls++; return host.config.greeting + ', ' + name + ' ('"
                + " + Object.keys(host.config).join(',') + ') #' + calls; }\n");
        drop("lconfigured.json", "{\"greeting\": \"Hola\", \"tags\": [\"a\", \"b\"]}");
        drop("lconfigured.lua", "--[[ atrium { \"version\": \"1.0.0\", \"contract\": \"io.atrium.api.greeting.Greeter\" } ]]\n"
                + "function greet(name) return host.config.greeting .. ', ' .. name .. ' ' .. #host.config.tags end\n");
        Greeter g = greeter("configured");
        Greeter l = greeter("lconfigured");
        await("the configuration reached the scripts", () -> g.greet("x").startsWith("Salom, x (count,greeting) #") && l.greet("y").equals("Hola, y 2"));
        int before = Integer.parseInt(g.greet("x").replaceAll(".*#", ""));
        drop("configured.cfg", "greeting = Hello\n");
        await("the edit reached the script", () -> g.greet("x").startsWith("Hello, x (greeting) #"));
        assertTrue(Integer.parseInt(g.greet("x").replaceAll(".*#", "")) > before, "the same globals: no reload");
        Files.delete(folder.resolve("configured.cfg"));
        await("a deleted file leaves an empty configuration", () -> g.greet("x").startsWith("undefined, x () #"));
    }

    /** host.call reaches the plugins the header grants, through their contracts, and no other. */
    @Test
    void aScriptCallsThePluginsItsHeaderGrants() throws Exception {
        js("callee", "", "function greet(name) { if (name === 'fail') { throw new Error('callee says no'); } return 'Hi ' + name; }\n");
        js("other", "", "function greet(name) { return 'other ' + name; }\n");
        drop("relay.lua", """
                --[[ atrium { "version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter", "calls": ["callee"] } ]]
                function greet(name)
                  if name == "other" then return host.call("other", "greet", name) end
                  if name == "missing" then return host.call("callee", "wave", name) end
                  local ok, err = pcall(host.call, "callee", "greet", name)
                  if not ok then return "caught: " .. tostring(err) end
                  return "relayed " .. err
                end
                """);
        js("jsrelay", ", \"calls\": [\"callee\"]", "function greet(name) { return 'js ' + host.call('callee', 'greet', name); }\n");
        greeter("callee");
        greeter("other");
        Greeter relay = greeter("relay");
        assertEquals("relayed Hi x", relay.greet("x"));
        assertEquals("js Hi y", greeter("jsrelay").greet("y"));
        assertTrue(relay.greet("fail").startsWith("caught: plugin 'callee': callee.js:4: greet failed: Error: callee says no"), relay.greet("fail"));
        PluginException other = assertThrows(PluginException.class, () -> relay.greet("other"));
        assertTrue(other.getMessage().contains("host.call: 'other' is not granted: the header's 'calls' field lists the plugins this one may call (callee)"),
                other.getMessage());
        PluginException missing = assertThrows(PluginException.class, () -> relay.greet("missing"));
        assertTrue(missing.getMessage().contains("host.call: plugin 'callee' has no method wave of 1 arguments (it has: greet/1)"), missing.getMessage());
    }

    /** The plugins a header may grant are the operator's to bound: refused at deploy beyond them, and refused at once when narrowed. */
    @Test
    void theOperatorBoundsWhichPluginsAScriptMayCall() throws Exception {
        drop("io.atrium.script.cfg", "allowedCalls = other\n");
        js("callee", "", "function greet(name) { return 'Hi ' + name; }\n");
        js("other", "", "function greet(name) { return 'other ' + name; }\n");
        js("relay", ", \"calls\": [\"callee\", \"other\"]", "function greet(name) { return host.call(name, 'greet', 'x'); }\n");
        awaitRefused("relay.js", "field 'calls': 'callee' is not among the plugins the configuration io.atrium.script lets a script call "
                + "(allowedCalls: other)");
        drop("io.atrium.script.cfg", "allowedCalls = callee, other\n");
        Greeter relay = greeter("relay"); // offered again as it is
        assertEquals("Hi x", relay.greet("callee"));
        drop("io.atrium.script.cfg", "allowedCalls = other\n");
        await("the narrowed list bites the running script", () -> {
            try {
                relay.greet("callee");
                return false;
            } catch (PluginException e) {
                return e.getMessage().contains("host.call: 'callee' is not among the plugins the configuration io.atrium.script lets a script call");
            }
        });
        assertEquals("other x", relay.greet("other"));
    }

    /** What a header may ask is capped by the operator: a budget above the ceiling is refused, and the configuration raises it. */
    @Test
    void theOperatorsCeilingsBoundWhatAHeaderMayAsk() throws Exception {
        js("greedy", ", \"limits\": {\"callTimeoutMs\": 600000}", "function greet(n) { return n; }\n");
        awaitRefused("greedy.js", "field 'limits.callTimeoutMs': 600000 is over the 10000 the configuration io.atrium.script allows (maxCallTimeoutMs)");
        drop("io.atrium.script.cfg", "maxCallTimeoutMs = 600000\n");
        // the refused file, untouched, is offered to the transport again once its configuration changed
        assertEquals("n", greeter("greedy").greet("n"));
        js("greedy", ", \"limits\": {\"callTimeoutMs\": 600000}", "function greet(n) { return 'granted ' + n; }\n");
        await("the edit is deployed", () -> atrium.service(Greeter.class, "greedy").map(g -> g.greet("n")).orElse("").startsWith("granted"));
        assertEquals("granted n", greeter("greedy").greet("n"));
    }

    /** A plugin called through host.call that calls back is refused (its caller's call still runs); and each plugin has its own context. */
    @Test
    void aCallBackIntoTheCallerIsRefusedAndPluginsShareNoContext() throws Exception {
        js("ping", ", \"calls\": [\"pong\"]", """
                function greet(name) {
                  if (name === 'secret') { return host.call('pong', 'greet', 'match') + ' ' + (RegExp.$1 || 'none'); }
                  return host.call('pong', 'greet', name);
                }
                """);
        js("pong", ", \"calls\": [\"ping\"]", """
                function greet(name) {
                  if (name === 'match') { /(s3cr3t)/.test('the s3cr3t'); return 'matched'; }
                  return host.call('ping', 'greet', 'again');
                }
                """);
        Greeter ping = greeter("ping");
        greeter("pong");
        PluginException back = assertThrows(PluginException.class, () -> ping.greet("x"));
        assertTrue(back.getMessage().contains("greet was called back while its own call runs (through a plugin it called with host.call)"),
                back.getMessage());
        assertEquals("matched none", ping.greet("secret"), "pong's regular expression left nothing in ping's context");
    }
}
