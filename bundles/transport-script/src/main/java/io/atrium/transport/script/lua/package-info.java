/** Lua plugins on LuaJ: the sandboxed globals, the budget's count hook, values and errors across the edge. */
package io.atrium.transport.script.lua;
