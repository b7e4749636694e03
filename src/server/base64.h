#pragma once
// Base64 (RFC 4648, standard alphabet, '=' padding) for images in JSON bodies and answers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lisa::server {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not base64 (ASCII whitespace is skipped; a data: URL prefix is not).
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace lisa::server
