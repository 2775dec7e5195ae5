// The Go version a binary was built with, from its build-info blob (written by
// cmd/link, read by src/debug/buildinfo): kept by -ldflags=-s -w and strip(1).
#pragma once

#include <optional>
#include <string>

namespace threadleak {

class ElfImage;

/// "go1.19.8", or nullopt (and *why_not) when the blob is absent or malformed.
std::optional<std::string> read_go_version(const ElfImage& image, std::string* why_not);

/// Whether the image holds the blob's magic where the linker puts it (cheap).
bool has_go_buildinfo(const ElfImage& image);

}  // namespace threadleak
