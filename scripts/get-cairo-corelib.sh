#!/usr/bin/env bash
# Provides the Cairo 2.16.0 corelib (`corelib/src`) for tools/cairo-compile, taken from the
# crates.io crate cairo-native 0.9.0-rc.4 (Apache-2.0), whose corelib/src is byte-identical to
# upstream cairo v2.16.0. Idempotent: if the output dir already holds the verified tree, nothing
# is downloaded or copied.
#
# Usage: scripts/get-cairo-corelib.sh [OUT_DIR]
#   OUT_DIR defaults to ${CAIRO_CORELIB_DIR:-$HOME/.cache/starkml-cairo-corelib-2.16.0}; the
#   corelib ends up in OUT_DIR/src. The last line on stdout is the absolute path of that src dir.
set -euo pipefail

CN_VERSION="0.9.0-rc.4" # the published cairo-native crate known to carry the 2.16.0 corelib
EXPECTED_DIGEST="b280d9ae3f3b7ddd5de66c258f22e6f623bb49320378c15e6c858fd888f83add"
OUT="${1:-${CAIRO_CORELIB_DIR:-$HOME/.cache/starkml-cairo-corelib-2.16.0}}"

log() { echo "get-cairo-corelib: $*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

# Digest of the tree under DIR/src, with paths relative to DIR.
tree_digest() {
    (cd "$1" && find src -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum) |
        cut -d' ' -f1
}

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd -P)"

if [[ -d "$OUT/src" ]] && [[ "$(tree_digest "$OUT")" == "$EXPECTED_DIGEST" ]]; then
    log "corelib already present and verified in $OUT/src"
    echo "$OUT/src"
    exit 0
fi

find_crate_dir() {
    local d
    for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"cairo-native-$CN_VERSION"; do
        if [[ -d "$d/corelib/src" ]]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

if ! crate_dir="$(find_crate_dir)"; then
    log "fetching cairo-native@$CN_VERSION from crates.io (cargo info unpacks it into the registry)"
    # Run outside any cargo workspace so no manifest or lockfile is consulted or touched.
    (cd "${TMPDIR:-/tmp}" && cargo info "cairo-native@$CN_VERSION" >/dev/null) ||
        die "cargo info cairo-native@$CN_VERSION failed"
    crate_dir="$(find_crate_dir)" ||
        die "cairo-native-$CN_VERSION/corelib/src not found under ${CARGO_HOME:-$HOME/.cargo}/registry/src"
fi

# Copy into a staging dir next to OUT, verify there, then move into place: an interrupted or
# corrupt copy never leaves an OUT/src behind that would pass the check above.
stage="$(mktemp -d "$OUT/.stage.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
cp -R "$crate_dir/corelib/src" "$stage/src"
got="$(tree_digest "$stage")"
if [[ "$got" != "$EXPECTED_DIGEST" ]]; then
    die "corelib digest mismatch for $crate_dir/corelib/src: got $got, expected $EXPECTED_DIGEST (delete $crate_dir and retry)"
fi
for f in LICENSE LICENSE-APACHE; do
    if [[ -f "$crate_dir/$f" ]]; then
        cp "$crate_dir/$f" "$stage/$f"
        mv -f "$stage/$f" "$OUT/$f"
    fi
done
if [[ -e "$OUT/src" ]]; then
    log "replacing unverified $OUT/src"
    mv "$OUT/src" "$stage/old-src"
fi
mv "$stage/src" "$OUT/src"
[[ "$(tree_digest "$OUT")" == "$EXPECTED_DIGEST" ]] || die "digest changed after moving into $OUT/src"
log "corelib 2.16.0 (from cairo-native $CN_VERSION) installed in $OUT/src"
echo "$OUT/src"
