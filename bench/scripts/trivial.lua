--[[ atrium { "version": "1.0.0", "contract": "io.atrium.api.greeting.Greeter" } ]]
-- Lua 5.1 as well as 5.2, so that gopher-lua runs the same text
function greet(name) return "Hello, " .. name .. "!" end
function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
