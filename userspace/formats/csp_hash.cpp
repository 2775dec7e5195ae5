#include "formats/csp_hash.h"

#include <nettle/base64.h>
#include <nettle/sha2.h>

namespace threadleak {

std::string csp_sha256(std::string_view content) {
    sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, content.size(), reinterpret_cast<const uint8_t*>(content.data()));
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, sizeof digest, digest);
    std::string b64(BASE64_ENCODE_RAW_LENGTH(sizeof digest), '\0');
    base64_encode_raw(b64.data(), sizeof digest, digest);
    return "'sha256-" + b64 + "'";
}

}  // namespace threadleak
