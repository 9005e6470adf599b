#!/usr/bin/env bash
# Two revisions of imginspect side by side in one run, with e2fsck beside
# them: did a change make the scan or the inspector slower?
#
#   bash bench/compare-revisions.sh OLD_REV [NEW_REV] [IMAGE...]
#
# NEW_REV defaults to the working tree as committed (HEAD). IMAGE is a path
# or a bench/make-images.sh name (default: small-xlink inodes-1m fragmented-32g
# in /tmp/imginspect-bench). Each revision is built in release mode in its own
# worktree and target directory under /tmp. For each image, hyperfine times
# `OLD scan --format json`, `NEW scan --format json` and `e2fsck -fn` in one
# invocation, warm (one warm-up run) and, as root, cold (the page cache
# dropped before every run). Then benches/tui_frames.rs of each revision on
# the first image, one after the other. Prints hyperfine's tables; nothing is
# asserted. Environment: RUNS (default 5), BENCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: compare-revisions.sh OLD_REV [NEW_REV] [IMAGE...]}
new=${2:-HEAD}
shift $(($# >= 2 ? 2 : 1))
runs=${RUNS:-5}
dir=${BENCH_DIR:-/tmp/imginspect-bench}
images=("$@")
((${#images[@]})) || images=(small-xlink inodes-1m fragmented-32g)
command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt-get install hyperfine)" >&2; exit 2; }

build() { # REV -> path of its release binary (worktree and target kept for reuse)
    local sha tree target
    sha=$(git rev-parse --short "$1")
    tree=/tmp/imginspect-rev-$sha
    target=/tmp/imginspect-rev-target-$sha
    [[ -d $tree ]] || git worktree add --detach -q "$tree" "$sha"
    (cd "$tree" && CARGO_TARGET_DIR=$target cargo build --release -q) >&2
    echo "$target/release/imginspect"
}
old_bin=$(build "$old")
new_bin=$(build "$new")
echo "old: $old ($(git rev-parse --short "$old")) new: $new ($(git rev-parse --short "$new"))"

for image in "${images[@]}"; do
    [[ -f $image ]] || image=$dir/$image.img
    [[ -f $image ]] || { echo "no image $image (bash bench/make-images.sh builds them)" >&2; continue; }
    echo
    echo "## $(basename "$image") ($(du -h --apparent-size "$image" | cut -f1) apparent, $(du -h "$image" | cut -f1) allocated)"
    commands=(-n old "$old_bin scan --format json $image"
              -n new "$new_bin scan --format json $image"
              -n e2fsck "e2fsck -fn $image")
    # Exit 4 (findings) is a result, not a failure.
    table=$(mktemp)
    hyperfine -N -i --style none --warmup 1 --runs "$runs" "${commands[@]}" \
        --export-markdown "$table" >/dev/null 2>&1
    cat "$table"
    if [[ $(id -u) == 0 ]]; then
        echo "cold cache:"
        hyperfine -i --style none --runs "$runs" --prepare 'sync; echo 3 > /proc/sys/vm/drop_caches' \
            "${commands[@]}" --export-markdown "$table" >/dev/null 2>&1
        cat "$table"
    fi
    rm -f "$table"
done

first=${images[0]}
[[ -f $first ]] || first=$dir/$first.img
for rev in "$old" "$new"; do
    sha=$(git rev-parse --short "$rev")
    echo
    echo "## tui_frames, $rev ($sha), on $(basename "$first")"
    (cd "/tmp/imginspect-rev-$sha" && CARGO_TARGET_DIR=/tmp/imginspect-rev-target-$sha \
        cargo bench -q --bench tui_frames -- "$first" 2>/dev/null)
done
