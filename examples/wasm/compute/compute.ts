// The benchmarks' modules (bench/jmh WasmCallBenchmark): a trivial Greeter, and fib with decimal text
// in and out, so a Greeter manifest with "encoding": "raw" can call it.
import { Host } from "@extism/as-pdk";

function fibonacci(n: i32): i32 {
  return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);
}

/** fib(n), by plain recursion: 2.7 million calls for n = 30. */
export function fib(): i32 {
  const n = I32.parseInt(Host.inputString());
  Host.output(Uint8Array.wrap(String.UTF8.encode(fibonacci(n).toString())));
  return 0;
}

const HELLO: u8[] = [0x22, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x2c, 0x20]; // "Hello,<space> with its opening quote

/**
 * The trivial Greeter, the per-call benchmark's module: ["World"] in, "Hello, World!" out, as JSON,
 * spliced as bytes (names without escapes), so the figure is the host's and the ABI's, not a parser's.
 */
export function greet(): i32 {
  const input = Host.input();                   // ["World"]
  const name = input.subarray(2, input.length - 2);
  const out = new Uint8Array(HELLO.length + name.length + 2);
  for (let i = 0; i < HELLO.length; i++) out[i] = HELLO[i];
  out.set(name, HELLO.length);
  out[out.length - 2] = 0x21;                   // !
  out[out.length - 1] = 0x22;                   // "
  Host.output(out);
  return 0;
}

export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {}
