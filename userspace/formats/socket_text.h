// A socket's two ends as people read them, shared by the text phrase and the JSON.
#pragma once

#include <string>

#include "capture/capture_types.h"

namespace threadleak {

/// "inet", "inet6", "unix", or "family N".
std::string socket_family_name(const SocketEnds& s);
/// "stream", "dgram", "seqpacket", "raw", or "type N".
std::string socket_type_name(const SocketEnds& s);
/// "127.0.0.1:8080", "[::1]:8080"; "" for a family without addresses here.
std::string socket_local_text(const SocketEnds& s);
std::string socket_remote_text(const SocketEnds& s);
/// TCP: "established", "listen", "close_wait", ...; "" otherwise.
std::string socket_state_name(const SocketEnds& s);
/// "tcp 127.0.0.1:40002 to 127.0.0.1:5432, established", "tcp listening on
/// 0.0.0.0:8080", "unix socket".
std::string socket_text(const SocketEnds& s);

}  // namespace threadleak
