// Peer figure for docs/benchmarks.md: Extism's JavaScript runtime (@extism/extism under node) calling the
// trivial greeter of examples/wasm/compute, as bench/jmh's WasmCallBenchmark calls it through Atrium.
// Usage: (cd examples/wasm && npm ci) && node bench/wasm-extism-js.mjs
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const examples = join(dirname(fileURLToPath(import.meta.url)), "..", "examples", "wasm");
const require = createRequire(join(examples, "package.json"));
const { default: createPlugin } = await import(require.resolve("@extism/extism"));
const wasm = await readFile(join(examples, "compute", "compute.wasm"));
const fresh = () => createPlugin({ wasm: [{ data: wasm }] }, { useWasi: false, runInWorker: false });
const input = '["World"]';
// A plugin of @extism/extism 1.0.3 fails after some ten thousand calls ("cannot assign to this block"):
// its block addresses run out. Each run therefore uses a fresh plugin and 5 000 calls.
const runs = [];
for (let r = 0; r < 6; r++) {
  const plugin = await fresh();
  for (let i = 0; i < 1000; i++) await plugin.call("greet", input);
  const n = 5000, t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await plugin.call("greet", input);
  if (r > 0) runs.push(Number(process.hrtime.bigint() - t) / n); // the first run warms node up
  await plugin.close();
}
const plugin = await fresh();
runs.sort((a, b) => a - b);
console.log(`extism-js.greet ${runs[2].toFixed(0)} ns (runs: ${runs.map(x => x.toFixed(0)).join(" ")})`);
const f = [];
for (let r = 0; r < 5; r++) {
  const t = process.hrtime.bigint();
  await plugin.call("fib", "25");
  f.push(Number(process.hrtime.bigint() - t) / 1000);
}
f.sort((a, b) => a - b);
console.log(`extism-js.fib25 ${f[2].toFixed(0)} us`);
await plugin.close();
