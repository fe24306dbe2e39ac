// Extism's count-vowels demo plugin (extism/plugins' count_vowels) in AssemblyScript with Extism's PDK
// (@extism/as-pdk): an ordinary Extism plugin. The input is text; the output is
// {"count":N,"total":T,"vowels":"..."}, where the vowels are config.vowels (else aeiouAEIOU) and the
// total, kept in the variable "total" as decimal text as the Rust original keeps it, carries from call
// to call on one plugin instance.
import { Host, Config, Var } from "@extism/as-pdk";

const VOWELS = "aeiouAEIOU";

/** Host.outputString in as-pdk 1.0.0 sizes the output by UTF-16 units, cutting non-ASCII text: send UTF-8 bytes. */
function output(s: string): void {
  Host.output(Uint8Array.wrap(String.UTF8.encode(s)));
}

export function count_vowels(): i32 {
  const input = Host.inputString();
  const configured = Config.get("vowels");
  const vowels = configured == null ? VOWELS : configured;
  const wanted = codePoints(vowels);
  let count: u32 = 0;
  // By characters (code points), as Rust's chars(): a vowel outside the BMP counts once.
  for (let i = 0; i < input.length; ) {
    const c = input.codePointAt(i);
    if (wanted.includes(c)) count++;
    i += c > 0xffff ? 2 : 1;
  }
  const stored = Var.getString("total");
  const total: u32 = (stored == null ? 0 : U32.parseInt(stored, 10)) + count;
  Var.set("total", Uint8Array.wrap(String.UTF8.encode(total.toString())));
  output('{"count":' + count.toString() + ',"total":' + total.toString() + ',"vowels":' + quote(vowels) + "}");
  return 0;
}

function codePoints(s: string): i32[] {
  const out = new Array<i32>();
  for (let i = 0; i < s.length; ) {
    const c = s.codePointAt(i);
    out.push(c);
    i += c > 0xffff ? 2 : 1;
  }
  return out;
}

/** A JSON string literal, escaped as serde_json (the Rust original's encoder) escapes it. */
function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 34) out += '\\"';
    else if (c == 92) out += "\\\\";
    else if (c == 8) out += "\\b";
    else if (c == 9) out += "\\t";
    else if (c == 10) out += "\\n";
    else if (c == 12) out += "\\f";
    else if (c == 13) out += "\\r";
    else if (c < 32) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {}
