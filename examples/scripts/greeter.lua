--[[ atrium
{
  "version": "1.0.0",
  "contract": "io.atrium.api.greeting.Greeter",
  "description": "The Greeter in Lua: a script plugin",
  "limits": { "callTimeoutMs": 500 }
}
]]

-- Top-level code runs once, when the script is loaded (under the same CPU budget as a call).
local greeting = "Hello"

-- A global function of the contract method's name implements it.
function greet(name)
  if name:match("^%s*$") then
    host.log("warn", "greeted nobody")
    return greeting .. ", nobody!"
  end
  return greeting .. ", " .. name .. "!"
end
