// libFuzzer target: TOML text (a profile and the files it includes) -> Profile or diagnostics.
// scripts/fuzz.sh runs it; see fuzz_inputs.hpp for the input's layout.
#include "fuzz_inputs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cloister::fuzz::run_profile_input(data, size);
  return 0;
}
