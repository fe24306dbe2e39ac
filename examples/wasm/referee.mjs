// The referee: runs a module under Extism's own JavaScript runtime (@extism/extism) and prints what each
// call answered, so a test can check that Atrium's host gives the same answers. The calls run in order
// on one plugin, as Extism runs a plugin's calls: module state and variables carry from one to the next.
// Usage: node referee.mjs MODULE.wasm CONFIG_JSON CALLS_JSON [HOST_FUNCTIONS.mjs]
//   CALLS_JSON: [["function", "input"], ...]; prints a JSON array with, for each call,
//   {"output": text} (null when it set none) or {"error": message}.
//   HOST_FUNCTIONS.mjs: the host functions the module imports, as its default export
//   ({namespace: {name: (callContext, ...args) => result}}, Extism's `functions` option).
import createPlugin from "@extism/extism";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";

const [module, config, calls, hostFunctions] = process.argv.slice(2);
const functions = hostFunctions ? (await import(pathToFileURL(hostFunctions).href)).default : {};
const plugin = await createPlugin({ wasm: [{ data: await readFile(module) }] },
  { useWasi: false, runInWorker: false, config: JSON.parse(config), functions, logger: { ...console, info() {}, debug() {}, warn() {}, error() {} } });
const answers = [];
for (const [fn, input] of JSON.parse(calls)) {
  try {
    const out = await plugin.call(fn, input);
    answers.push({ output: out === null ? null : out.text() });
  } catch (e) {
    answers.push({ error: String(e.message).replace(/^Plugin-originated error: /, "") });
  }
}
process.stdout.write(JSON.stringify(answers));
await plugin.close();
