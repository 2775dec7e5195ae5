// gzip (RFC 1952) compression with zlib, for formats whose files are gzipped
// by contract (pprof).
#pragma once

#include <string>
#include <string_view>

namespace threadleak {

/// `data` as one gzip member. The header carries no name and a zero mtime, so
/// equal input gives equal bytes. Throws std::runtime_error if zlib fails
/// (out of memory).
std::string gzip_compress(std::string_view data);

}  // namespace threadleak
