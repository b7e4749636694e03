#pragma once
// The page served at GET /: src/server/page.html, embedded into the binary at build time
// (cmake/EmbedFile.cmake turns it into page_html.cpp), so the server needs no file at run time.
#include <string_view>

namespace lisa::server {

std::string_view page_html();

}  // namespace lisa::server
