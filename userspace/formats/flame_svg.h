// Draws FlameStacks as an SVG flame graph: the root ("all leaked threads")
// at the bottom, each stack's frames above it, a frame as wide as the weight
// of the stacks through it. Every frame is in the document, with its full
// text and weight in a <title> (the hover tooltip); frames too narrow to see
// are hidden until a zoom widens them, and labels are cut to fit their box,
// so the picture stays readable with many thousands of frames. The script
// (formats/flame_script.h) adds click-to-zoom, search and a details line; the
// picture reads without it.
#pragma once

#include <ostream>

#include "formats/flame_stacks.h"

namespace threadleak {

enum class SvgEmbedding {
    Standalone,  ///< an .svg file: XML prolog, its own <style> and <script> in CDATA
    InHtml,      ///< an <svg> element inside an HTML page that carries the style and script
};

/// Writes the flame graph of `flame`; `subject` names what was traced (the
/// command line, raw: it is escaped here) for the subtitle.
void write_flame_svg(const FlameStacks& flame, const std::string& subject, SvgEmbedding embedding,
                     std::ostream& out);

}  // namespace threadleak
