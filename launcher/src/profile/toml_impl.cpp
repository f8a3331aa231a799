// toml++'s implementation, compiled once into the launcher (every file includes toml++ with
// TOML_HEADER_ONLY=0 through profile/toml.hpp, so the parser is not compiled in each of them).
#define TOML_IMPLEMENTATION
#include "profile/toml.hpp"
