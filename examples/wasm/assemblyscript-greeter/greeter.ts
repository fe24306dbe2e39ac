// The Greeter contract in AssemblyScript with Extism's PDK (@extism/as-pdk): an ordinary Extism plugin.
// Atrium calls the export named after the contract method with the arguments as a JSON array
// (["World"]) and reads its output as the JSON result ("Hello, World!"); see docs/wasm.md.
import { Host, Config } from "@extism/as-pdk";

/** Host.outputString in as-pdk 1.0.0 sizes the output by UTF-16 units, cutting non-ASCII text: send UTF-8 bytes. */
function output(s: string): void {
  Host.output(Uint8Array.wrap(String.UTF8.encode(s)));
}

export function greet(): i32 {
  const name = firstString(Host.inputString());
  if (name == null) {
    output('"greet takes one string"');
    return 1; // a non-zero status fails the call with the output as its message
  }
  const greeting = Config.get("greeting");
  output(quote((greeting == null ? "Hello" : greeting!) + ", " + name! + "!"));
  return 0;
}

/** The first element of a JSON array of strings, unescaped; null when the input is not one. */
function firstString(json: string): string | null {
  let i = json.indexOf('"');
  if (json.trimStart().charAt(0) != "[" || i < 0) return null;
  let out = "";
  for (i++; i < json.length; i++) {
    const c = json.charAt(i);
    if (c == '"') return out;
    if (c != "\\") { out += c; continue; }
    const e = json.charAt(++i);
    if (e == "n") out += "\n";
    else if (e == "t") out += "\t";
    else if (e == "r") out += "\r";
    else if (e == "u") { out += String.fromCharCode(<i32>parseInt(json.substr(i + 1, 4), 16)); i += 4; }
    else out += e;
  }
  return null;
}

/** A JSON string literal. */
function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 34) out += '\\"';
    else if (c == 92) out += "\\\\";
    else if (c < 32) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {}
