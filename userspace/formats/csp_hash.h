// The Content-Security-Policy source that allows exactly one inline <script>
// or <style> element by its content (CSP Level 2 hash sources).
#pragma once

#include <string>
#include <string_view>

namespace threadleak {

/// "'sha256-BASE64'": the SHA-256 of `content` (the element's text, byte for
/// byte), base64-encoded, quoted as a CSP source expression.
std::string csp_sha256(std::string_view content);

}  // namespace threadleak
