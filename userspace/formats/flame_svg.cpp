#include "formats/flame_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "formats/flame_script.h"
#include "formats/markup_escape.h"
#include "formats/wording.h"

namespace threadleak {
namespace {

// Geometry, in SVG user units (px at 100%). The script reads the ones it
// needs from data- attributes of the <svg>, so the two cannot drift apart.
constexpr double kWidth = 1200;
constexpr double kPad = 10;
constexpr double kFrameHeight = 17;
constexpr double kHeader = 84;        ///< title, subtitle, legend and search above the frames
constexpr double kFooter = 30;        ///< the details line below them
constexpr double kCharWidth = 7.3;    ///< 12px monospace, a little generous
constexpr double kMinFrameWidth = 0.5;///< narrower frames are hidden until a zoom widens them
constexpr uint64_t kNsPerUs = 1'000;  ///< --weight time: frames weigh microseconds

/// One frame of the merged tree: the stacks through it share its prefix.
struct Node {
    const FlameFrame* frame = nullptr;  ///< nullptr for the root
    std::string location;
    uint64_t weight = 0;                ///< in the svg's unit (threads or microseconds)
    uint64_t threads = 0;
    uint64_t blocked_ns = 0;
    std::vector<Node> children;         ///< in the order of their text
};

bool same_frame(const FlameFrame& a, const FlameFrame& b) { return a.role == b.role && a.text == b.text; }

bool frame_less(const FlameFrame& a, const FlameFrame& b) {
    if (a.text != b.text) return a.text < b.text;
    return a.role < b.role;
}

/// The stacks merged into one tree, children sorted by text (as flamegraph.pl
/// does): with the stacks sorted, a shared prefix is always the last child.
Node build_tree(const FlameStacks& flame, uint64_t unit_ns) {
    std::vector<const WeightedStack*> sorted;
    for (const WeightedStack& s : flame.stacks)
        if (flame.weight(s, unit_ns) > 0) sorted.push_back(&s);
    std::sort(sorted.begin(), sorted.end(), [](const WeightedStack* a, const WeightedStack* b) {
        return std::lexicographical_compare(a->frames.begin(), a->frames.end(), b->frames.begin(),
                                            b->frames.end(), frame_less);
    });
    Node root;
    for (const WeightedStack* s : sorted) {
        const uint64_t w = flame.weight(*s, unit_ns);
        Node* node = &root;
        node->weight += w;
        node->threads += s->threads;
        node->blocked_ns += s->blocked_ns;
        for (const FlameFrame& f : s->frames) {
            if (node->children.empty() || !same_frame(*node->children.back().frame, f)) {
                node->children.push_back(Node{&f, f.location, 0, 0, 0, {}});
            } else if (node->children.back().location != f.location) {
                node->children.back().location = kSeveralLocations;
            }
            node = &node->children.back();
            node->weight += w;
            node->threads += s->threads;
            node->blocked_ns += s->blocked_ns;
        }
    }
    return root;
}

size_t depth_of(const Node& n) {
    size_t d = 0;
    for (const Node& c : n.children) d = std::max(d, depth_of(c));
    return d + 1;
}

std::string fixed(double v, int decimals = 2) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string seconds(uint64_t ns) { return fixed(static_cast<double>(ns) / 1e9, 3) + " s"; }

/// "#rrggbb" of an HSL colour (h in degrees, s and l in 0..1).
std::string hsl(double h, double s, double l) {
    const double c = (1 - std::fabs(2 * l - 1)) * s;
    const double hp = std::fmod(h, 360.0) / 60.0;
    const double x = c * (1 - std::fabs(std::fmod(hp, 2.0) - 1));
    double r = 0, g = 0, b = 0;
    if (hp < 1) { r = c; g = x; }
    else if (hp < 2) { r = x; g = c; }
    else if (hp < 3) { g = c; b = x; }
    else if (hp < 4) { g = x; b = c; }
    else if (hp < 5) { r = x; b = c; }
    else { r = c; b = x; }
    const double m = l - c / 2;
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<unsigned>(std::lround((r + m) * 255)),
                  static_cast<unsigned>(std::lround((g + m) * 255)),
                  static_cast<unsigned>(std::lround((b + m) * 255)));
    return buf;
}

/// A colour of the frame's role, varied by its text (so neighbours differ and
/// a function keeps its colour across stacks): creation blue, separators grey,
/// blocking frames orange, the syscall or state leaf purple.
std::string fill_of(const Node& n) {
    if (!n.frame) return "#b8b8b8";
    uint32_t hash = 2166136261u;  // FNV-1a
    for (unsigned char c : n.frame->text) hash = (hash ^ c) * 16777619u;
    const double v1 = (hash & 0xffff) / 65535.0, v2 = (hash >> 16) / 65535.0;
    switch (n.frame->role) {
    case FrameRole::Creation: return hsl(200 + 25 * v1, 0.55, 0.70 + 0.10 * v2);
    case FrameRole::Separator: return "#dcdcdc";
    case FrameRole::Blocking: return hsl(18 + 30 * v1, 0.85, 0.62 + 0.10 * v2);
    case FrameRole::Leaf: return hsl(280 + 25 * v1, 0.45, 0.70 + 0.06 * v2);
    }
    return "#b8b8b8";
}

const char* role_class(const Node& n) {
    if (!n.frame) return "f r";
    switch (n.frame->role) {
    case FrameRole::Creation: return "f c";
    case FrameRole::Separator: return "f s";
    case FrameRole::Blocking: return "f b";
    case FrameRole::Leaf: return "f l";
    }
    return "f";
}

/// How many characters fit a frame `width` wide.
size_t label_chars(double width) {
    const double chars = std::floor((width - 6) / kCharWidth);
    return chars < 0 ? 0 : static_cast<size_t>(chars);
}

class SvgWriter {
public:
    SvgWriter(const FlameStacks& flame, const std::string& subject, SvgEmbedding embedding, std::ostream& out)
        : flame_(flame), subject_(subject), embedding_(embedding), out_(out),
          time_(flame.options.weight == FlameWeight::Time),
          root_(build_tree(flame, kNsPerUs)),
          height_(kHeader + kFrameHeight * static_cast<double>(depth_of(root_)) + kFooter) {}

    void write() {
        const std::string w = fixed(kWidth, 0), h = fixed(height_, 0);
        if (embedding_ == SvgEmbedding::Standalone)
            out_ << "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n";
        out_ << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" class=\"tlf\" width=\"" << w
             << "\" height=\"" << h << "\" viewBox=\"0 0 " << w << ' ' << h << "\" data-width=\"" << w
             << "\" data-pad=\"" << fixed(kPad, 0) << "\" data-charw=\"" << fixed(kCharWidth, 1)
             << "\" data-minw=\"" << fixed(kMinFrameWidth, 1) << "\" data-unit=\""
             << (time_ ? "us" : "threads") << "\" aria-labelledby=\"tlf-title\" aria-describedby=\"tlf-desc\">\n";
        out_ << "<title id=\"tlf-title\">" << escape_markup(title()) << "</title>\n";
        out_ << "<desc id=\"tlf-desc\">" << escape_markup(subtitle()) << "</desc>\n";
        if (embedding_ == SvgEmbedding::Standalone)
            out_ << "<style><![CDATA[\n" << flame_style() << "]]></style>\n";
        write_header();
        out_ << "<g class=\"tlf-frames\">\n";
        write_node(root_, 0, 0);
        out_ << "</g>\n";
        out_ << "<text class=\"tlf-details\" x=\"" << fixed(kPad, 0) << "\" y=\"" << fixed(height_ - 10, 0)
             << "\">" << kDetailsHint << "</text>\n";
        out_ << "<text class=\"tlf-matched\" x=\"" << fixed(kWidth - kPad, 0) << "\" y=\""
             << fixed(height_ - 10, 0) << "\"></text>\n";
        if (embedding_ == SvgEmbedding::Standalone)
            out_ << "<script type=\"text/javascript\"><![CDATA[\n" << flame_script() << "]]></script>\n";
        out_ << "</svg>\n";
    }

private:
    static constexpr const char* kDetailsHint =
        "Hover a frame for its full text and weight; click to zoom; Esc or Reset zoom to undo.";

    std::string title() const {
        switch (flame_.options.stack) {
        case FlameStack::Creation: return "Leaked threads by creation stack";
        case FlameStack::Blocking: return "Leaked threads by blocking stack";
        case FlameStack::Both: break;
        }
        return "Leaked threads: creation stack, [thread start], blocking stack";
    }

    std::string subtitle() const {
        std::string s = plural(flame_.threads, "leaked thread", "leaked threads");
        if (!subject_.empty()) s += " of " + subject_;
        if (!time_) return s + "; width: thread count";
        s += "; width: time blocked, " + seconds(flame_.blocked_ns) + " in all";
        if (flame_.unmeasured)
            s += "; " + plural(flame_.unmeasured, "thread has", "threads have") +
                 " no measure of it and count 0";
        return s;
    }

    void write_header() {
        out_ << "<text class=\"tlf-heading\" x=\"" << fixed(kWidth / 2, 0) << "\" y=\"24\">"
             << escape_markup(title()) << "</text>\n";
        out_ << "<text class=\"tlf-subtitle\" x=\"" << fixed(kWidth / 2, 0) << "\" y=\"44\">"
             << escape_markup(subtitle()) << "</text>\n";
        out_ << "<text class=\"tlf-reset h\" x=\"" << fixed(kPad, 0)
             << "\" y=\"24\" role=\"button\" tabindex=\"0\">Reset zoom</text>\n";
        const struct {
            const char* label;
            std::string fill;
        } legend[] = {{"creation", hsl(212, 0.55, 0.75)},
                      {"[thread start]", "#dcdcdc"},
                      {"blocking", hsl(33, 0.85, 0.67)},
                      {"syscall or state", hsl(292, 0.45, 0.73)}};
        double x = kPad;
        for (const auto& item : legend) {
            out_ << "<rect class=\"tlf-key\" x=\"" << fixed(x, 0) << "\" y=\"58\" width=\"12\" height=\"12\" fill=\""
                 << item.fill << "\"/><text class=\"tlf-legend\" x=\"" << fixed(x + 16, 0) << "\" y=\"68\">"
                 << item.label << "</text>\n";
            x += 16 + kCharWidth * static_cast<double>(std::string_view(item.label).size()) + 18;
        }
        out_ << "<foreignObject x=\"" << fixed(kWidth - kPad - 300, 0)
             << "\" y=\"54\" width=\"300\" height=\"24\"><input xmlns=\"http://www.w3.org/1999/xhtml\" "
                "class=\"tlf-search\" type=\"search\" placeholder=\"Search frames\" "
                "aria-label=\"Search frames\"/></foreignObject>\n";
    }

    std::string weight_text(const Node& n) const {
        const double total = static_cast<double>(std::max<uint64_t>(root_.weight, 1));
        const std::string share = fixed(100.0 * static_cast<double>(n.weight) / total) + "%";
        const std::string threads = plural(n.threads, "thread", "threads");
        if (!time_) return threads + ", " + share;
        return seconds(n.blocked_ns) + " blocked (" + threads + "), " + share;
    }

    std::string name_of(const Node& n) const {
        if (n.frame) return n.frame->text;
        if (root_.weight == 0)
            return time_ && flame_.threads ? "all: no measured blocked time" : "all: no leaked threads";
        return "all: " + plural(flame_.threads, "leaked thread", "leaked threads");
    }

    /// The node and its children, preorder (the root first: the script
    /// counts on it). `x` is in weight units from the left.
    void write_node(const Node& n, size_t depth, uint64_t x) {
        const double scale = (kWidth - 2 * kPad) / static_cast<double>(std::max<uint64_t>(root_.weight, 1));
        const double px = kPad + static_cast<double>(x) * scale;
        const double width = n.frame ? static_cast<double>(n.weight) * scale : kWidth - 2 * kPad;
        const double y = height_ - kFooter - kFrameHeight * static_cast<double>(depth + 1);
        const std::string name = escape_markup(name_of(n));
        std::string title = name + "\n" + escape_markup(weight_text(n));
        if (!n.location.empty()) title += "\n" + escape_markup(n.location);
        out_ << "<g class=\"" << role_class(n) << (width < kMinFrameWidth ? " h" : "") << "\" data-x=\"" << x
             << "\" data-w=\"" << std::max<uint64_t>(n.weight, n.frame ? 0 : 1) << "\" data-d=\"" << depth
             << "\"><title>" << title << "</title><rect x=\"" << fixed(px) << "\" y=\"" << fixed(y, 0)
             << "\" width=\"" << fixed(width) << "\" height=\"" << fixed(kFrameHeight - 1, 0) << "\" fill=\""
             << fill_of(n) << "\" rx=\"2\"/><text x=\"" << fixed(px + 3) << "\" y=\""
             << fixed(y + kFrameHeight - 5, 0) << "\">" << escape_markup_cut(name_of(n), label_chars(width))
             << "</text></g>\n";
        uint64_t child_x = x;
        for (const Node& c : n.children) {
            write_node(c, depth + 1, child_x);
            child_x += c.weight;
        }
    }

    const FlameStacks& flame_;
    const std::string& subject_;
    SvgEmbedding embedding_;
    std::ostream& out_;
    bool time_;
    Node root_;
    double height_;
};

}  // namespace

void write_flame_svg(const FlameStacks& flame, const std::string& subject, SvgEmbedding embedding,
                     std::ostream& out) {
    SvgWriter(flame, subject, embedding, out).write();
}

}  // namespace threadleak
