#!/usr/bin/env bash
# Checks the project's rule on `unsafe`: it appears only in src/vfs/, and every
# `unsafe {` block there has a `// SAFETY:` comment right above it.
#
#   scripts/check-unsafe.sh [DIR]     (default: the repository)
#
# Outside src/vfs/, the word `unsafe` must not appear in Rust code (comments do
# not count; `#![deny(unsafe_code)]` and `forbid(unsafe_code)` attributes do
# not either). In src/vfs/, a line with an `unsafe {` block must be preceded by
# a comment block (attribute lines may come in between) with a line starting
# `// SAFETY:`. Prints one "rovl: ..." line per offence and exits 1 if there
# is any.
set -uo pipefail
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2

files=$(find . -name '*.rs' -not -path './.git/*' -not -path './out/*' \
            -not -name 'bindings_generated.rs' | sed 's|^\./||' | LC_ALL=C sort)
[ -n "$files" ] || { echo "rovl: check-unsafe: no Rust files under $top"; exit 1; }

# shellcheck disable=SC2086 # one word per file name (no spaces in the tree)
awk '
# The code of a line: comments and the contents of string and character
# literals removed (a block comment may span lines: state in "inblock").
function code(s,    out, i, c, n, instr) {
    out = ""; n = length(s); instr = 0
    for (i = 1; i <= n; i++) {
        c = substr(s, i, 1)
        if (inblock) {
            if (substr(s, i, 2) == "*/") { inblock = 0; i++ }
            continue
        }
        if (instr) {
            if (c == "\\") { i++; continue }
            if (c == "\"") { instr = 0; out = out c }
            continue
        }
        if (substr(s, i, 2) == "//") break
        if (substr(s, i, 2) == "/*") { inblock = 1; i++; continue }
        if (c == "\"") { instr = 1; out = out c; continue }
        # a character literal: '"'"'x'"'"' or '"'"'\x'"'"' (not a lifetime like '"'"'a)
        if (c == "'"'"'" && substr(s, i + 2, 1) == "'"'"'") { i += 2; continue }
        if (c == "'"'"'" && substr(s, i + 1, 1) == "\\") {
            i += 2
            while (i < n && substr(s, i + 1, 1) != "'"'"'") i++
            i++; continue
        }
        out = out c
    }
    return out
}
FNR == 1 { inblock = 0; comment_safety = 0; in_comments = 0 }
{
    line = $0
    c = code(line)
    invfs = (FILENAME ~ /^src\/vfs\//)
    if (!invfs) {
        gsub(/#!?\[(deny|forbid)\(unsafe_code\)\]/, "", c)
        if (c ~ /(^|[^A-Za-z0-9_])unsafe([^A-Za-z0-9_]|$)/) {
            printf "rovl: %s:%d: `unsafe` outside src/vfs/: %s\n", FILENAME, FNR, line
            bad++
        }
    } else if (c ~ /(^|[^A-Za-z0-9_])unsafe[ \t]*\{/ && !comment_safety) {
        printf "rovl: %s:%d: `unsafe` block without a `// SAFETY:` comment right above it: %s\n", FILENAME, FNR, line
        bad++
    }
    # The comment block (and attributes) directly above the next line: does it
    # hold a SAFETY line?
    if (line ~ /^[ \t]*\/\//) {
        if (!in_comments) comment_safety = 0
        in_comments = 1
        if (line ~ /^[ \t]*\/\/ SAFETY:/) comment_safety = 1
    } else if (line ~ /^[ \t]*#!?\[/ && in_comments) {
        # an attribute between the comment and the block keeps the comment
    } else {
        in_comments = 0; comment_safety = 0
    }
}
END { exit bad ? 1 : 0 }
' $files
rc=$?
if [ $rc -ne 0 ]; then
    echo "rovl: check-unsafe: FAILED (unsafe only in src/vfs/, each block under a // SAFETY: comment)"
    exit 1
fi
echo "rovl: check-unsafe: ok ($(echo "$files" | wc -l) files)"
