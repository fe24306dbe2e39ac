#!/usr/bin/env python3
"""The Greeter contract as a Python process plugin."""
import os
import sys

sys.path.insert(0, os.environ.get("ATRIUM_SDK_PYTHON", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../sdk/python")))
from atrium_plugin import serve  # noqa: E402


def greet(name, host=None):
    greeting = (host.config() or {}).get("greeting", "Hello") if host else "Hello"
    return f"{greeting}, {name}!"


serve(name="python-greeter", version="1.0.0", contract="io.atrium.api.greeting.Greeter",
      capabilities=["greet", "config", "style;version=2"], methods={"greet": greet})
