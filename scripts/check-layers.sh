#!/usr/bin/env bash
# Fails, naming the include, when a userspace file includes a stage above its own.
# The stages, lowest first: each may include only itself and the stages before it.
# (docs/architecture.md explains what each stage holds.)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2

stages=(common capture syscalls stacks golang report track analyze formats modes cli)

rank_of() {
    local i
    for i in "${!stages[@]}"; do
        [ "${stages[$i]}" = "$1" ] && { echo "$i"; return; }
    done
    echo -1
}

bad=0
for dir in userspace/*/; do
    stage=$(basename "$dir")
    own=$(rank_of "$stage")
    if [ "$own" -lt 0 ]; then
        echo "check-layers: userspace/$stage/ is not a known stage: add it to scripts/check-layers.sh and docs/architecture.md"
        bad=1
        continue
    fi
    while IFS=: read -r file line text; do
        target=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^/"]+)\/.*/\1/' <<<"$text")
        rank=$(rank_of "$target")
        if [ "$rank" -lt 0 ]; then
            echo "$file:$line: includes $text, which names no stage folder"
            bad=1
        elif [ "$rank" -gt "$own" ]; then
            echo "$file:$line: $stage/ includes the higher stage $target/: $text"
            bad=1
        fi
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*/' "$dir"*.h "$dir"*.cpp 2>/dev/null | sed -E 's/^([^:]+):([0-9]+):/\1:\2:/')
    # Includes without a folder must be the BPF side's (events.h, the skeleton).
    while IFS=: read -r file line text; do
        case "$text" in
            *'"events.h"'*|*'"threadleak.skel.h"'*) ;;
            *) echo "$file:$line: $text: include userspace headers by stage path (\"stage/name.h\")"; bad=1 ;;
        esac
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"/]*"' "$dir"*.h "$dir"*.cpp 2>/dev/null)
    # <stage/name.h> compiles too (-Iuserspace) but would escape the checks above.
    stage_names=$(IFS='|'; echo "${stages[*]}")
    while IFS=: read -r file line text; do
        echo "$file:$line: $text: include userspace headers with quotes (\"stage/name.h\")"
        bad=1
    done < <(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($stage_names)/" "$dir"*.h "$dir"*.cpp 2>/dev/null)
done
if [ "$bad" -ne 0 ]; then
    echo "check-layers: failed (stage order, lowest first: ${stages[*]})"
    exit 1
fi
echo "check-layers: ok (${stages[*]})"
