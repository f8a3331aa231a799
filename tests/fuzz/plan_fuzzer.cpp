// libFuzzer target: a profile and host facts -> SandboxPlan -> its description.
// scripts/fuzz.sh runs it; see fuzz_inputs.hpp for the input's layout.
#include "fuzz_inputs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cloister::fuzz::run_plan_input(data, size);
  return 0;
}
