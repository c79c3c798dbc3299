#include "util/utf8.h"

#include <cstdint>

namespace config_init {

namespace {

// The length of the sequence a lead byte starts (0: not a lead byte) and the range its
// second byte must be in (the others are 80..BF): table 3-7 of the Unicode standard,
// well-formed byte sequences.
struct Lead {
  int length;
  unsigned char low, high;
};

Lead lead_of(unsigned char byte) {
  if (byte < 0x80) return {1, 0, 0};
  if (byte >= 0xC2 && byte <= 0xDF) return {2, 0x80, 0xBF};
  if (byte == 0xE0) return {3, 0xA0, 0xBF};
  if (byte == 0xED) return {3, 0x80, 0x9F}; // no surrogates
  if (byte >= 0xE1 && byte <= 0xEF) return {3, 0x80, 0xBF};
  if (byte == 0xF0) return {4, 0x90, 0xBF};
  if (byte >= 0xF1 && byte <= 0xF3) return {4, 0x80, 0xBF};
  if (byte == 0xF4) return {4, 0x80, 0x8F}; // nothing above U+10FFFF
  return {0, 0, 0};                         // 80..C1 (continuation, overlong), F5..FF
}

} // namespace

int utf8_sequence(std::string_view text, size_t i) {
  const Lead lead = lead_of(static_cast<unsigned char>(text[i]));
  if (lead.length == 0) return -1; // a byte that starts nothing
  int k = 1;
  for (; k < lead.length && i + static_cast<size_t>(k) < text.size(); ++k) {
    const auto next = static_cast<unsigned char>(text[i + static_cast<size_t>(k)]);
    const unsigned char low = k == 1 ? lead.low : 0x80;
    const unsigned char high = k == 1 ? lead.high : 0xBF;
    if (next < low || next > high) break;
  }
  // A truncated sequence: the byte that broke it (if any) starts the next one.
  return k == lead.length ? k : -k;
}

bool valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const int length = utf8_sequence(text, i);
    if (length < 0) return false;
    i += static_cast<size_t>(length);
  }
  return true;
}

bool has_noncharacter(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const int length = utf8_sequence(text, i);
    if (length < 0) return false;
    const auto lead = static_cast<unsigned char>(text[i]);
    uint32_t point = length == 1 ? lead : lead & (0x7Fu >> length);
    for (int k = 1; k < length; ++k)
      point = (point << 6) | (static_cast<unsigned char>(text[i + static_cast<size_t>(k)]) & 0x3Fu);
    if ((point >= 0xFDD0 && point <= 0xFDEF) || (point & 0xFFFEu) == 0xFFFEu) return true;
    i += static_cast<size_t>(length);
  }
  return false;
}

} // namespace config_init
