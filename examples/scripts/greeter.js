/* atrium
{
  "version": "1.0.0",
  "contract": "io.atrium.api.greeting.Greeter",
  "description": "The Greeter in JavaScript: a script plugin",
  "limits": { "callTimeoutMs": 500 }
}
*/

// Top-level code runs once, when the script is loaded (under the same CPU budget as a call).
const greeting = "Hello";

// A top-level function of the contract method's name implements it.
function greet(name) {
  if (/^\s*$/.test(name)) {
    host.log("warn", "greeted nobody");
    return `${greeting}, nobody!`;
  }
  return `${greeting}, ${name}!`;
}
