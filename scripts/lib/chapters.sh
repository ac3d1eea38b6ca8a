# shellcheck shell=bash
# Sourced by the scripts: one way to name a chapter, and one way to get its programs.
# Expects $root (the repository) to be set.
#
#   crate=$(chapter_crate ch12)      ch12-struct-header; ch12b is ch12b-ftp; a full crate
#                                    name is taken as it is. A name that is no chapter is
#                                    explained on stderr and fails (exit status 2), so a
#                                    script under `set -e` stops there.
#   chapter_crates                   every chapter's crate, in the book's order
#   short_name ch12b-ftp             ch12b: what comes before the first dash
#   build_chapter_bins CRATE PROFILE DIR [PREFIX]
#                                    builds the chapter's programs (PROFILE: debug or
#                                    release) and copies each one to DIR/PREFIXNAME

: "${root:?scripts/lib/chapters.sh needs \$root, the repository}"

chapter_crates() {
    local dir LC_ALL=C # ch12-... before ch12b-..., whatever the locale
    for dir in "$root"/crates/ch*/; do
        basename "$dir"
    done
}

short_name() {
    echo "${1%%-*}"
}

chapter_crate() {
    local name=$1 found
    if [[ $name == ch* && $name != */* ]]; then
        if [ -f "$root/crates/$name/Cargo.toml" ]; then
            echo "$name"
            return
        fi
        found=("$root"/crates/"$name"-*/Cargo.toml)
        if [ ${#found[@]} -eq 1 ] && [ -f "${found[0]}" ]; then
            basename "$(dirname "${found[0]}")"
            return
        fi
    fi
    local short=() crate
    for crate in $(chapter_crates); do short+=("$(short_name "$crate")"); done
    echo "${0##*/}: no chapter called '$name' (the chapters: ${short[*]}, or their full crate names)" >&2
    return 2
}

# Every chapter has programs called `server` and `client` (the class types `--bin server`),
# so cargo copies each chapter's build to the same target/<profile>/server: the last build
# wins, even another chapter's (see README). Cargo's documented answer to "where is the
# program I just built" is the `executable` of each artifact in --message-format=json; it is
# that same shared path, so this builds one chapter at a time and copies its programs away
# at once, before another build can overwrite them.
build_chapter_bins() {
    local crate=$1 profile=$2 into=$3 prefix=${4:-}
    local options=() source name exe json
    if [ "$profile" = release ]; then options+=(--release); fi
    json=$(cargo build --quiet "${options[@]}" -p "$crate" --bins --message-format=json-render-diagnostics)
    mkdir -p "$into"
    for source in "$root/crates/$crate"/src/bin/*.rs; do
        name=$(basename "$source" .rs)
        # The bin artifact called $name (only this chapter has bins in this build):
        # {"reason":"compiler-artifact",...,"target":{"kind":["bin"],"crate_types":["bin"],
        # "name":"server",...},...,"executable":"/.../target/debug/server",...}
        exe=$(grep -F "\"kind\":[\"bin\"],\"crate_types\":[\"bin\"],\"name\":\"$name\"," <<<"$json" |
            sed -n 's/.*"executable":"\([^"\\]*\)".*/\1/p' | head -n 1) || true
        if [ -z "$exe" ] || [ ! -x "$exe" ]; then
            echo "${0##*/}: cargo built $crate but reported no program called $name in its JSON messages" >&2
            return 1
        fi
        cp -f "$exe" "$into/$prefix$name"
    done
}
