# Sourced by scripts/demo and scripts/bench.
#
# Every chapter has a `server` and a `client`, and cargo copies each chapter's build to the
# same target/<profile>/server: the last build wins, even another chapter's (see README). Each
# package's own build sits in target/<profile>/deps/NAME-HASH, and cargo's bookkeeping folder
# target/<profile>/.fingerprint/CRATE-HASH/bin-NAME says which package a hash belongs to.
#
# link_chapter_bins CRATE PROFILE DIR [PREFIX]: links the chapter's own builds of each of its
# binaries (src/bin/*.rs) into DIR, as PREFIX + NAME.
link_chapter_bins() {
    local crate=$1 profile=$2 into=$3 prefix=${4:-}
    local target="${CARGO_TARGET_DIR:-$root/target}/$profile" source name marker dir exe newest
    mkdir -p "$into"
    for source in "$root/crates/$crate"/src/bin/*.rs; do
        name=$(basename "$source" .rs)
        newest=""
        for marker in "$target/.fingerprint/$crate"-*/"bin-$name"; do
            [ -e "$marker" ] || continue
            dir=${marker%/*}
            exe="$target/deps/${name//-/_}-${dir##*-}"
            if [ -x "$exe" ] && { [ -z "$newest" ] || [ "$exe" -nt "$newest" ]; }; then newest=$exe; fi
        done
        [ -n "$newest" ] || { echo "no $profile build of $crate's $name" >&2; return 1; }
        ln -sf "$newest" "$into/$prefix$name"
    done
}
