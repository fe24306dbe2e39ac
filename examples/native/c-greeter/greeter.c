/* The Greeter of the source documents' first task as a native plugin in C (docs/native.md). */
#include "atrium_plugin.h"

static char *greet(const char *name) {
    if (name[0] == 0) {
        return atrium_error("a name is needed");
    }
    return atrium_format("Hello, %s! (from C)", name);
}

ATRIUM_PLUGIN("io.atrium.api.greeting.Greeter", "1.0.0", ATRIUM_STRING_FUNCTION("greet", greet));
