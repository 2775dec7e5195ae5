#include "analyze/suppressions.h"

#include <fnmatch.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include "common/errors.h"

namespace threadleak {
namespace {

constexpr MatchOn kAllKinds[] = {MatchOn::AnyFrame, MatchOn::TopFrame, MatchOn::Comm,
                                 MatchOn::CreatedBy, MatchOn::NotCreatedBy};
constexpr const char* kKeywords =
    "ignore, ignore-top, ignore-comm, ignore-created-by or unless-created-by";

std::optional<MatchOn> kind_of(std::string_view word) {
    for (MatchOn on : kAllKinds)
        if (word == keyword(on)) return on;
    return std::nullopt;
}

bool glob(const std::string& pattern, const std::string& text) {
    return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

std::string file_name(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool frame_matches(const std::string& pattern, const Frame& f) {
    return (f.function && glob(pattern, *f.function)) || glob(pattern, f.module) ||
           glob(pattern, file_name(f.module));
}

bool any_frame(const std::string& pattern, const Stack& stack) {
    return std::any_of(stack.begin(), stack.end(),
                       [&](const Frame& f) { return frame_matches(pattern, f); });
}

}  // namespace

bool is_libc(const Frame& f) {
    const std::string name = file_name(f.module);
    return name.starts_with("libc.so") || name.starts_with("libc-") ||
           name.starts_with("libpthread.so") || name.starts_with("libpthread-");
}

namespace {

const Stack& blocking_stack(const LeakFindings& t) {
    static const Stack kEmpty;
    if (t.goroutine) return t.goroutine->frames;
    if (t.state == ThreadState::Running) return t.running_frames;
    return t.blocked_in ? t.blocked_in->frames : kEmpty;
}

bool condition_holds(const SuppressionCondition& c, const LeakedThread& t) {
    switch (c.on) {
    case MatchOn::AnyFrame: return any_frame(c.pattern, t.created_by) || any_frame(c.pattern, blocking_stack(t));
    case MatchOn::TopFrame: {
        const Stack& stack = blocking_stack(t);
        // The top as the user knows it: below the C library, or for a
        // goroutine below the Go runtime (as Go's tracebacks and goleak show it).
        const bool go = t.goroutine.has_value();
        auto top = std::find_if(stack.begin(), stack.end(), [go](const Frame& f) {
            return go ? !(f.function && f.function->starts_with("runtime.")) : !is_libc(f);
        });
        return top != stack.end() && frame_matches(c.pattern, *top);
    }
    case MatchOn::Comm: return glob(c.pattern, t.thread.name);
    case MatchOn::CreatedBy: return any_frame(c.pattern, t.created_by);
    case MatchOn::NotCreatedBy: return !any_frame(c.pattern, t.created_by);
    }
    return false;
}

/// Splits a rule line into words at blanks; "a b" is one word without its quotes.
bool split_words(std::string_view line, std::vector<std::string>* words, std::string* error) {
    size_t i = 0;
    while (i < line.size()) {
        if (line[i] == ' ' || line[i] == '\t') {
            i++;
            continue;
        }
        if (line[i] == '"') {
            const size_t close = line.find('"', i + 1);
            if (close == std::string_view::npos) {
                *error = "unterminated quote";
                return false;
            }
            words->emplace_back(line.substr(i + 1, close - i - 1));
            i = close + 1;
            continue;
        }
        size_t end = i;
        while (end < line.size() && line[end] != ' ' && line[end] != '\t') end++;
        words->emplace_back(line.substr(i, end - i));
        i = end;
    }
    return true;
}

std::string quoted_if_needed(const std::string& pattern) {
    return pattern.find_first_of(" \t") == std::string::npos ? pattern : "\"" + pattern + "\"";
}

}  // namespace

const char* keyword(MatchOn on) {
    switch (on) {
    case MatchOn::AnyFrame: return "ignore";
    case MatchOn::TopFrame: return "ignore-top";
    case MatchOn::Comm: return "ignore-comm";
    case MatchOn::CreatedBy: return "ignore-created-by";
    case MatchOn::NotCreatedBy: return "unless-created-by";
    }
    return "?";
}

std::string rule_text(const SuppressionRule& rule) {
    std::string text;
    for (const SuppressionCondition& c : rule.conditions) {
        if (!text.empty()) text += ' ';
        text += std::string(keyword(c.on)) + " " + quoted_if_needed(c.pattern);
    }
    return text;
}

bool parse_rule(std::string_view line, SuppressionRule* rule, std::string* error) {
    std::vector<std::string> words;
    if (!split_words(line, &words, error)) return false;
    rule->conditions.clear();
    for (size_t i = 0; i < words.size(); i += 2) {
        const auto on = kind_of(words[i]);
        if (!on) {
            *error = "unknown keyword '" + words[i] + "'; use " + kKeywords;
            return false;
        }
        if (i + 1 >= words.size() || words[i + 1].empty()) {
            *error = "'" + words[i] + "' needs a pattern";
            return false;
        }
        rule->conditions.push_back({*on, words[i + 1]});
    }
    if (rule->conditions.empty()) {
        *error = std::string("empty rule; use ") + kKeywords + " PATTERN";
        return false;
    }
    const bool only_exceptions =
        std::all_of(rule->conditions.begin(), rule->conditions.end(),
                    [](const SuppressionCondition& c) { return c.on == MatchOn::NotCreatedBy; });
    if (only_exceptions) {
        *error = "'unless-created-by' only narrows a rule; add an ignore condition";
        return false;
    }
    return true;
}

SuppressionRule flag_rule(MatchOn on, const std::string& pattern) {
    if (pattern.empty())
        throw UserError(exit_code::kUsage, std::string("--") + keyword(on) + " needs a non-empty PATTERN");
    SuppressionRule rule;
    rule.conditions.push_back({on, pattern});
    rule.source = "flag";
    return rule;
}

std::vector<SuppressionRule> read_suppressions_file(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw UserError(exit_code::kUsage,
                        "--suppressions '" + path + "' cannot be read: " + std::strerror(errno));
    std::vector<SuppressionRule> rules;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        line = line.substr(0, line.find('#'));
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        SuppressionRule rule;
        std::string error;
        const std::string where = path + ":" + std::to_string(number);
        if (!parse_rule(line, &rule, &error))
            throw UserError(exit_code::kUsage, "--suppressions " + where + ": " + error);
        rule.source = where;
        rules.push_back(std::move(rule));
    }
    if (in.bad())
        throw UserError(exit_code::kUsage, "--suppressions '" + path + "' cannot be read: " +
                                               std::strerror(errno));
    return rules;
}

std::string suppressions_text(const std::vector<SuppressionRule>& rules) {
    std::string text;
    for (const SuppressionRule& r : rules) {
        text += "# " + r.source + (r.why.empty() ? "" : ": " + r.why) + "\n";
        text += rule_text(r) + "\n";
    }
    return text;
}

bool rule_matches(const SuppressionRule& rule, const LeakedThread& thread) {
    return !rule.conditions.empty() &&
           std::all_of(rule.conditions.begin(), rule.conditions.end(),
                       [&](const SuppressionCondition& c) { return condition_holds(c, thread); });
}

std::vector<SuppressedCount> apply_suppressions(const std::vector<SuppressionRule>& rules,
                                                std::vector<LeakedThread>& threads) {
    std::vector<size_t> counts(rules.size(), 0), goroutines(rules.size(), 0);
    std::erase_if(threads, [&](const LeakedThread& t) {
        if (!is_leak(t.kind)) return false;
        for (size_t i = 0; i < rules.size(); ++i) {
            if (rule_matches(rules[i], t)) {
                // An entry of goroutines stands for all of its goids.
                if (t.goroutine) goroutines[i] += t.goroutine->goids.size();
                else counts[i]++;
                return true;
            }
        }
        return false;
    });
    std::vector<SuppressedCount> result;
    for (size_t i = 0; i < rules.size(); ++i)
        if (counts[i] > 0 || goroutines[i] > 0 || rules[i].source != "default") {
            SuppressedCount c{rule_text(rules[i]), rules[i].source, counts[i]};
            c.goroutines = goroutines[i];
            result.push_back(std::move(c));
        }
    return result;
}

void apply_timer_suppressions(const std::vector<SuppressionRule>& rules, std::vector<LeakedTimers>& timers,
                              std::vector<SuppressedCount>& counts) {
    std::erase_if(timers, [&](const LeakedTimers& t) {
        LeakedThread view;  // no name, no blocking stack: only creation-stack rules can match
        view.thread.pid = t.pid;
        view.thread.exe = t.exe;
        view.created_by = t.created_by;
        for (const SuppressionRule& rule : rules) {
            if (!rule_matches(rule, view)) continue;
            const std::string text = rule_text(rule);
            auto it = std::find_if(counts.begin(), counts.end(),
                                   [&](const SuppressedCount& c) { return c.rule == text && c.source == rule.source; });
            if (it == counts.end()) it = counts.insert(counts.end(), {text, rule.source, 0});
            it->timers++;
            return true;
        }
        return false;
    });
}

}  // namespace threadleak
