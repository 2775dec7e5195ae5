// Reading --format pprof output back in tests: gunzip (zlib), parse with
// libprotobuf's strict proto3 parser (which, like protobuf-go in Parca and
// Pyroscope, refuses a string field holding invalid UTF-8), and a text form.
#pragma once

#include <zlib.h>

#include <stdexcept>
#include <string>

#include <google/protobuf/text_format.h>

#include "formats/pprof/profile.pb.h"

namespace threadleak::pprof_test {

/// The one gzip member `gz` holds; throws if it is not exactly that.
inline std::string gunzip(const std::string& gz) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2 failed");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    z.avail_in = static_cast<uInt>(gz.size());
    std::string out;
    char buf[16384];
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
    }
    const bool whole = rc == Z_STREAM_END && z.avail_in == 0;
    inflateEnd(&z);
    if (!whole) throw std::runtime_error("not one complete gzip member (zlib " + std::to_string(rc) + ")");
    return out;
}

/// The Profile in `gz`; throws if it does not decode.
inline perftools::profiles::Profile decode_pprof(const std::string& gz) {
    perftools::profiles::Profile p;
    if (!p.ParseFromString(gunzip(gz))) throw std::runtime_error("not a valid profile.proto message");
    return p;
}

/// The decoded message in protobuf's text format: the reviewable form of a
/// pprof golden file.
inline std::string pprof_text(const std::string& gz) {
    std::string text;
    google::protobuf::TextFormat::PrintToString(decode_pprof(gz), &text);
    return text;
}

}  // namespace threadleak::pprof_test
