/* atrium { "version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter" } */
// ES5, so that every engine compared runs the same text (goja's Debian snapshot is from 2017)
function greet(name) { return "Hello, " + name + "!"; }
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
