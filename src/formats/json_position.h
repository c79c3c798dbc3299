// Locating nlohmann-json's SAX events in the text (the events carry no position): an input
// iterator that records how far the lexer has read, and the cause of a parse error without
// nlohmann's own position.
// Shared by the JSON adapter and the manifest reader.
#pragma once

#include <cstddef>
#include <iterator>
#include <string>

namespace config_init::formats::json_position {

// The cause in a nlohmann parse error's what() ("[json.exception.parse_error.101] parse
// error at line 1, column 6: cause" gives "cause"): the position is computed from the byte
// offset instead (text::line_column).
std::string parse_error_cause(std::string what);

// An input iterator over the text that stores, in *progress, how far it has been read.
class Cursor {
public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  Cursor(const char* at, const char** progress) : at_(at), progress_(progress) {}
  reference operator*() const { return *at_; }
  Cursor& operator++() {
    *progress_ = ++at_;
    return *this;
  }
  Cursor operator++(int) {
    Cursor before = *this;
    ++*this;
    return before;
  }
  bool operator==(const Cursor& other) const { return at_ == other.at_; }
  bool operator!=(const Cursor& other) const { return at_ != other.at_; }

private:
  const char* at_;
  const char** progress_;
};

} // namespace config_init::formats::json_position
