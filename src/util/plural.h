// Counts in messages: "1 file", "2 files".
#pragma once

#include <cstddef>
#include <string>

namespace config_init {

// `count` and `noun`, with an "s" added unless `count` is 1.
std::string count_of(size_t count, const std::string& noun);

} // namespace config_init
