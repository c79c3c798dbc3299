// Incremental SHA-256 (OpenSSL's low-level API: small and fast when linked statically).
#pragma once

#include <openssl/sha.h>
#include <string>
#include <string_view>

namespace config_init {

class Sha256 {
public:
  Sha256();
  // Adds bytes to the digest.
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Finishes and returns the lowercase hex digest, as `sha256sum` prints it.
  std::string hex_digest();

  // The hex digest of a whole buffer.
  static std::string of(std::string_view data);

private:
  SHA256_CTX context_;
};

} // namespace config_init
