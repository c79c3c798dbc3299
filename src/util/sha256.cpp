#include "util/sha256.h"

namespace config_init {

Sha256::Sha256() {
  SHA256_Init(&context_);
}

void Sha256::update(const void* data, size_t size) {
  SHA256_Update(&context_, data, size);
}

std::string Sha256::hex_digest() {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &context_);
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char byte : digest) {
    out += hex[byte >> 4];
    out += hex[byte & 0xf];
  }
  return out;
}

std::string Sha256::of(std::string_view data) {
  Sha256 sha;
  sha.update(data);
  return sha.hex_digest();
}

} // namespace config_init
