// The referee: runs a module under Extism's own JavaScript runtime (@extism/extism) and prints what a
// function outputs, so a test can check that Atrium's host gives the same answer.
// Usage: node referee.mjs MODULE.wasm FUNCTION INPUT [CONFIG_JSON]
import createPlugin from "@extism/extism";
import { readFile } from "node:fs/promises";

const [module, fn, input, config] = process.argv.slice(2);
const plugin = await createPlugin({ wasm: [{ data: await readFile(module) }] },
  { useWasi: false, runInWorker: false, config: config ? JSON.parse(config) : {} });
const out = await plugin.call(fn, input);
process.stdout.write(out === null ? "" : out.text());
await plugin.close();
