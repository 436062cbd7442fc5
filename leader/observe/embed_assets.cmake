# Writes OUT: a C++ file defining orcastra::leader::WebAssets() with the files of DIR embedded as
# raw string literals (run at build time by leader/CMakeLists.txt, so the page's HTML, CSS and
# JavaScript stay ordinary files under leader/observe/web/). A file holding the raw string's
# delimiter is an error.
set(delimiter "orc_asset")  # at most 16 characters (C++)
set(entries "")
foreach(pair "index.html|text/html" "app.css|text/css" "app.js|text/javascript"
             "favicon.svg|image/svg+xml")
  string(REPLACE "|" ";" parts "${pair}")
  list(GET parts 0 name)
  list(GET parts 1 type)
  file(READ "${DIR}/${name}" content)
  string(FIND "${content}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${DIR}/${name} holds the embedding delimiter")
  endif()
  string(APPEND entries "    {\"/${name}\", \"${type}; charset=utf-8\", R\"${delimiter}(${content})${delimiter}\"},\n")
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from leader/observe/web/ by leader/observe/embed_assets.cmake. Do not edit.
#include \"leader/observe/endpoint.h\"

namespace orcastra::leader {

std::span<const WebAsset> WebAssets() {
  static const WebAsset kAssets[] = {
${entries}  };
  return kAssets;
}

}  // namespace orcastra::leader
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
