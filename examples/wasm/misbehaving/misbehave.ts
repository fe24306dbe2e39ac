// Modules that misbehave on purpose, for Atrium's sandbox tests: each export is an Extism function
// a test maps the Greeter's greet to (manifest "exports": {"greet": "spin"}).
import { Host } from "@extism/as-pdk";

/** An infinite loop: stopped by the call's deadline. */
export function spin(): i32 {
  let i: i64 = 0;
  while (true) { i++; }
  return <i32>i;
}

/** Grows memory until it cannot: stopped by the memory cap. */
export function bomb(): i32 {
  while (memory.grow(16) >= 0) {}
  unreachable(); // grow failed: the cap held; trap so the call fails visibly
  return 0;
}

function down(n: i64): i64 {
  return down(n + 1) + 1;
}

/** Unbounded recursion: stopped by the stack. */
export function recurse(): i32 {
  return <i32>down(0);
}

export function trap(): i32 {
  unreachable();
  return 0;
}

let zero: i32 = 0;
export function divide(): i32 {
  return 1 / zero;
}

export function outOfBounds(): i32 {
  return load<i32>(0xFFFFFFF0);
}

/** Output that is not UTF-8. */
export function badUtf8(): i32 {
  const b = new Uint8Array(2);
  b[0] = 0xC3; b[1] = 0x28;
  Host.output(b);
  return 0;
}

export function notJson(): i32 {
  Host.outputString("Hello, not JSON");
  return 0;
}

/** Two mebibytes of output. */
export function huge(): i32 {
  Host.output(new Uint8Array(2 << 20));
  return 0;
}

/** Echoes its input: for the pool and reload tests. */
export function echo(): i32 {
  Host.output(Host.input());
  return 0;
}

/**
 * Echoes its input with as-pdk 1.0.0's Host.outputString, which sizes the output's block in UTF-16
 * units: non-ASCII text is stored past the end of the block, and the output cut short.
 */
export function outputString(): i32 {
  Host.outputString(Host.inputString());
  return 0;
}

export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {}
