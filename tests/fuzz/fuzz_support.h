// Shared by the libFuzzer targets of tests/fuzz: the format round trip and a readable
// dump of a document for failure messages.
#pragma once

#include "formats/document.h"
#include "formats/format.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace fuzz {

// A compact, deterministic rendering of a tree (keys in tree order) for failure messages.
std::string dump(const config_init::formats::Value& value);

// Prints `what` and `detail` to stderr and aborts, so libFuzzer records a crash.
[[noreturn]] void fail(const std::string& what, const std::string& detail);

// The property every format target checks on one input. The input is one document, or
// two separated by the first NUL byte (no format allows a raw NUL, so the split never
// hides a valid document); the array strategy of the merge is size % 3.
//  1. parse(A) either throws config_init::InputError or succeeds; then validate(A) accepts A
//     too, and parse(emit(A')) == A' and emit is a fixed point (emit(parse(emit(A'))) ==
//     emit(A')), where A' = parse(A);
//  2. the same for B (when present and valid);
//  3. merged = merge_into(A', B') (the array strategy above); merged and the three-way merge
//     of (A', B', merged) both survive emit -> parse unchanged.
// Any other exception escapes, and libFuzzer reports it as a crash: config-init's main()
// would turn it into "exit 1, unexpected" instead of a clear input error.
int format_round_trip(config_init::formats::Format format, const uint8_t* data, size_t size);

} // namespace fuzz
