// A module whose start function never returns, for Atrium's sandbox tests: AssemblyScript runs a
// module's top-level statements in WebAssembly's start function, which runs when an instance is made.
import { Host } from "@extism/as-pdk";

let turns: i64 = 0;
while (true) { turns++; }

/** Never reached: no instance of this module is ever ready. */
export function greet(): i32 {
  Host.outputString("started after all");
  return 0;
}

export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {}
