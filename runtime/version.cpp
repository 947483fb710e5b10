// The runtime library's version, so a host can tell which runtime it loaded.
#include "plumb/value.h"

extern "C" const char* plumb_runtime_version(void) { return "0.1.0"; }
