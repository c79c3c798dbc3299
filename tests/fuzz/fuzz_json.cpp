// libFuzzer target: JSON parse -> merge -> emit -> parse (see fuzz_support.h).
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz::format_round_trip(config_init::formats::Format::json, data, size);
}
