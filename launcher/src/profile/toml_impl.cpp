// toml++'s implementation, compiled once into the launcher when it does not come from
// libtomlplusplus.so (CMake: CLOISTER_STATIC_LIBS, and the sanitizer build). Every other file
// includes toml++ with TOML_HEADER_ONLY=0, so the parser is not compiled in each of them.
#if CLOISTER_TOML_COMPILED_IN
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
#endif
