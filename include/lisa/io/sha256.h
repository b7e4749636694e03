#pragma once
// SHA-256 of bytes (OpenSSL's libcrypto), for content keys: the server's image cache, the input
// hash that sharded runs agree on.
#include <string>
#include <string_view>

namespace lisa::io {

// Incremental: feed any number of pieces, then take the digest once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& update(std::string_view bytes);
  // 64 lowercase hex digits. The hasher cannot be fed afterwards.
  std::string hex_digest();

 private:
  struct State;
  State* state_;
};

// The digest of one piece of bytes, as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

}  // namespace lisa::io
