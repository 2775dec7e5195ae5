#!/usr/bin/env bash
# What help2man reads as threadleak's --help: `threadleak --help` with each
# subcommand's usage added to the synopsis and its options added as a section
# "Options of threadleak SUB:". The man page's option lists thus come from the
# same CLI11 option table as --help and cannot drift from it. The footer's
# "EXAMPLES:" becomes help2man's "Examples:" with "$ " before each command, which
# help2man keeps verbatim, one per line.
# Usage: THREADLEAK_BIN=build/threadleak scripts/help-for-man.sh --help | --version
set -euo pipefail
bin=${THREADLEAK_BIN:?set THREADLEAK_BIN to the threadleak binary}
[ "${1:-}" = --help ] || exec -a threadleak "$bin" "$@"

tool() { (exec -a threadleak "$bin" "$@"); }
# The lines of section HEADING ("Options:") of a help text on stdin, up to the
# blank line that ends it.
section() { awk -v h="$1" '$0 == h { on = 1; next } on && /^$/ { exit } on'; }

top=$(tool --help)
usage_or="" sub_sections=""
for sub in $(section Subcommands: <<<"$top" | awk '{ print $1 }'); do
  help=$(tool "$sub" --help)
  usage_or+="  or:  $(sed -n 's/^Usage: //p' <<<"$help")"$'\n'
  sub_sections+=$'\n'"Options of threadleak $sub:"$'\n'
  sub_sections+=$( { section Positionals: <<<"$help"; section Options: <<<"$help"; } |
                   grep -v -- '^ *-h,--help ')$'\n'
done

# Top-level help with the usages after its Usage line, the sections after its
# Subcommands section, and the examples marked.
awk -v usage_or="$usage_or" -v sub_sections="$sub_sections" '
  /^Usage:/ { print; printf "%s", usage_or; next }
  $0 == "Subcommands:" { in_subs = 1 }
  in_subs && /^$/ { printf "%s", sub_sections; in_subs = 0 }
  $0 == "EXAMPLES:" { print "Examples:"; in_examples = 1; next }
  in_examples && /^$/ { in_examples = 0 }
  in_examples { sub(/^ +/, "  $ ") }
  { print }
' <<<"$top"
