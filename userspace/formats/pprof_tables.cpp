#include "formats/pprof_tables.h"

#include <algorithm>

#include "formats/text_escape.h"

namespace threadleak {

namespace pb = perftools::profiles;

PprofTables::PprofTables(pb::Profile& profile) : profile_(profile) { string(""); }

int64_t PprofTables::string(std::string_view s) {
    std::string valid = valid_utf8(s);
    if (auto it = strings_.find(valid); it != strings_.end()) return it->second;
    const auto index = static_cast<int64_t>(profile_.string_table_size());
    profile_.add_string_table(valid);
    strings_.emplace(std::move(valid), index);
    return index;
}

uint64_t PprofTables::function(std::string_view name, std::string_view file) {
    const auto key = std::make_pair(string(name), string(file));
    if (auto it = functions_.find(key); it != functions_.end()) return it->second;
    pb::Function* f = profile_.add_function();
    f->set_id(static_cast<uint64_t>(profile_.function_size()));
    // Frames carry the demangled name only: it is the system name too.
    f->set_name(key.first);
    f->set_system_name(key.first);
    f->set_filename(key.second);
    functions_.emplace(key, f->id());
    return f->id();
}

uint64_t PprofTables::mapping(const Frame& frame) {
    if (frame.module == "[unknown]") return 0;
    // offset is address - load bias; the bias tells the file's loads apart
    // (ASLR), whatever process they are in.
    const uint64_t bias = frame.address - frame.offset;
    auto key = std::make_tuple(frame.module, frame.build_id, bias);
    auto it = mappings_.find(key);
    pb::Mapping* m = nullptr;
    if (it == mappings_.end()) {
        m = profile_.add_mapping();
        m->set_id(static_cast<uint64_t>(profile_.mapping_size()));
        // The file's bias-0 address 0 is at `bias`: with file_offset 0 this
        // is the layout pprof assumes for a shared object's first segment.
        // The limit is the end of the frames seen in it: the report keeps
        // no mapping ranges.
        m->set_memory_start(bias);
        m->set_filename(string(frame.module));
        m->set_build_id(string(frame.build_id));
        mappings_.emplace(std::move(key), m->id());
    } else {
        m = profile_.mutable_mapping(static_cast<int>(it->second - 1));
    }
    m->set_memory_limit(std::max(m->memory_limit(), frame.address + 1));
    // Symbolized here: pprof re-symbolizes a mapping (with the files on its
    // own machine) only when none of these is set, i.e. nothing resolved.
    if (frame.function) m->set_has_functions(true);
    if (frame.file) m->set_has_filenames(true);
    if (frame.line) m->set_has_line_numbers(true);
    if (frame.file) m->set_has_inline_frames(true);  // debug info was there: inline levels expanded
    return m->id();
}

uint64_t PprofTables::location(std::span<const Frame> run) {
    const Frame& physical = run.back();
    const uint64_t mapping_id = mapping(physical);
    LineKey lines;
    for (const Frame& f : run) {
        if (!f.function) continue;
        lines.emplace_back(function(*f.function, f.file.value_or("")), f.line.value_or(0));
    }
    auto key = std::make_tuple(mapping_id, physical.address, std::move(lines));
    if (auto it = locations_.find(key); it != locations_.end()) return it->second;
    pb::Location* l = profile_.add_location();
    l->set_id(static_cast<uint64_t>(profile_.location_size()));
    l->set_mapping_id(mapping_id);
    l->set_address(physical.address);
    for (const auto& [function_id, line] : std::get<2>(key)) {
        pb::Line* pl = l->add_line();
        pl->set_function_id(function_id);
        pl->set_line(line);
    }
    locations_.emplace(std::move(key), l->id());
    return l->id();
}

uint64_t PprofTables::pseudo_location(std::string_view name) {
    auto key = std::make_tuple(uint64_t{0}, uint64_t{0}, LineKey{{function(name, ""), 0}});
    if (auto it = locations_.find(key); it != locations_.end()) return it->second;
    pb::Location* l = profile_.add_location();
    l->set_id(static_cast<uint64_t>(profile_.location_size()));
    l->add_line()->set_function_id(std::get<2>(key).front().first);
    locations_.emplace(std::move(key), l->id());
    return l->id();
}

}  // namespace threadleak
