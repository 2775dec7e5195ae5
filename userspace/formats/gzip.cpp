#include "formats/gzip.h"

#include <zlib.h>

#include <limits>
#include <stdexcept>
#include <string>

namespace threadleak {

std::string gzip_compress(std::string_view data) {
    if (data.size() > std::numeric_limits<uInt>::max()) throw std::runtime_error("gzip: input over 4 GiB");
    z_stream z{};
    // windowBits 15 + 16: the gzip wrapper, whose default header has no name
    // and mtime 0.
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("zlib: deflateInit2 failed");
    std::string out(deflateBound(&z, data.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    // deflateBound is enough for one Z_FINISH call.
    const int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate failed (" + std::to_string(rc) + ")");
    return out;
}

}  // namespace threadleak
