// The Greeter of the source documents' first task as a native plugin in Go (docs/native.md).
package main

import "atrium"

// Greet greets.
func Greet(name string) string {
	if name == "" {
		atrium.Fail("a name is needed")
	}
	return "Hello, " + name + "! (from Go)"
}

func init() {
	atrium.Plugin("io.atrium.api.greeting.Greeter", "1.0.0", atrium.String("greet", Greet))
}

func main() {}
