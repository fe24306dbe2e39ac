#!/usr/bin/env python3
"""The Greeter contract as a Python process plugin."""
import os
import sys

# the helper: the server's verified copy (ATRIUM_SDK_PYTHON, set by the server), else the distribution's sdk/python
sys.path.insert(0, os.environ.get("ATRIUM_SDK_PYTHON") or os.path.join(os.environ.get("ATRIUM_HOME", ".."), "sdk", "python"))
from atrium_plugin import serve  # noqa: E402


def greet(name, host=None):
    greeting = (host.config() or {}).get("greeting", "Hello") if host else "Hello"
    return f"{greeting}, {name}!"


serve(name="python-greeter", version="1.0.0", contract="io.atrium.api.greeting.Greeter",
      capabilities=["greet", "config", "style;version=2"], methods={"greet": greet})
