#include "lisa/io/sha256.h"

#include <openssl/evp.h>

#include "lisa/error.h"

namespace lisa::io {

struct Sha256::State {
  EVP_MD_CTX* context = nullptr;
  bool finished = false;
};

Sha256::Sha256() : state_(new State) {
  state_->context = EVP_MD_CTX_new();
  LISA_INTERNAL_ASSERT(state_->context != nullptr, "EVP_MD_CTX_new failed");
  LISA_INTERNAL_ASSERT(EVP_DigestInit_ex(state_->context, EVP_sha256(), nullptr) == 1, "SHA-256 init failed");
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(state_->context);
  delete state_;
}

Sha256& Sha256::update(std::string_view bytes) {
  LISA_INTERNAL_ASSERT(!state_->finished, "Sha256 fed after its digest was taken");
  LISA_INTERNAL_ASSERT(EVP_DigestUpdate(state_->context, bytes.data(), bytes.size()) == 1, "SHA-256 update failed");
  return *this;
}

std::string Sha256::hex_digest() {
  LISA_INTERNAL_ASSERT(!state_->finished, "Sha256 digest taken twice");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  LISA_INTERNAL_ASSERT(EVP_DigestFinal_ex(state_->context, digest, &length) == 1, "SHA-256 final failed");
  state_->finished = true;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    text += kHex[digest[i] >> 4];
    text += kHex[digest[i] & 15];
  }
  return text;
}

std::string sha256_hex(std::string_view bytes) { return Sha256().update(bytes).hex_digest(); }

}  // namespace lisa::io
