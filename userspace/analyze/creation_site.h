// attach: which creation stacks are one site. A site is the creation stack
// through its first frame outside the threading library and the language
// runtime (pthread_create, std::thread, Rust's std::thread, libgomp ...):
// the code that asked for the thread. Callers below that frame do not split
// a site, so one function that starts threads from many call paths is one site.
#pragma once

#include <cstddef>
#include <string>

#include "stacks/stack_types.h"

namespace threadleak {

/// True for a frame of the threading library or a runtime's thread-starting code.
bool is_threading_frame(const Frame& f);

/// How many of `creation`'s frames (innermost first) make its site: through
/// the first frame outside the threading library; all of them if every frame is in it.
size_t site_frame_count(const Stack& creation);

/// The site's identity: its frames by module and offset (never by address,
/// which differs between processes and runs).
std::string site_key(const Stack& site_frames);

/// The readable name of a site: its last frame's function, with file:line
/// when known ("start_session_reader (server.c:42)"), else module+offset.
std::string site_label(const Stack& site_frames);

}  // namespace threadleak
