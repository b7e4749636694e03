# Run as a script (cmake -DINPUT=... -DOUTPUT=... -DNAMESPACE=... -DFUNCTION=... -P LisaEmbedFile.cmake):
# writes a C++ file defining `std::string_view NAMESPACE::FUNCTION()` that returns INPUT's bytes.
# Used for the page of `lisa serve`, which stays an ordinary HTML file in the source tree.
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by LisaEmbedFile.cmake: do not edit.\n"
  "#include <string_view>\n\nnamespace ${NAMESPACE} {\n\nnamespace {\nconstexpr char kBytes[] = {\n${bytes}'\\0'};\n}\n\n"
  "std::string_view ${FUNCTION}() { return {kBytes, sizeof(kBytes) - 1}; }\n\n}  // namespace ${NAMESPACE}\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
