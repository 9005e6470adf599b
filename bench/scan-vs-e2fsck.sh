#!/usr/bin/env bash
# Benchmark: imginspect scan against e2fsck -fn on the same images, in one run.
#
#   bash bench/scan-vs-e2fsck.sh [WORKDIR]
#
# Builds (once, in WORKDIR, default /tmp/imginspect-bench) a rootfs-like 2 GiB
# image with ~22k files and a 2 TiB sparse image with a few files, then times
# each tool RUNS times (warm page cache) and prints the median wall time and
# the peak RSS of each, and their ratio. Needs e2fsprogs and GNU time.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/imginspect-bench}
runs=${RUNS:-7}
export PATH="$PATH:/usr/sbin:/sbin"
mkdir -p "$work"
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin="$here/target/release/imginspect"

tree="$work/tree"
if [ ! -d "$tree" ]; then
  echo "building a rootfs-like tree (22k files)..." >&2
  for d in $(seq 1 220); do
    mkdir -p "$tree/usr/lib/pkg$d"
    for f in $(seq 1 100); do
      head -c $(( (d * 37 + f * 101) % 20000 )) /dev/zero > "$tree/usr/lib/pkg$d/f$f"
    done
  done
fi
if [ ! -f "$work/rootfs-2g.img" ]; then
  truncate -s 2G "$work/rootfs-2g.img"
  mke2fs -q -F -t ext4 -d "$tree" "$work/rootfs-2g.img"
fi
if [ ! -f "$work/sparse-2t.img" ]; then
  truncate -s 2T "$work/sparse-2t.img"
  mke2fs -q -F -t ext4 -d "$tree/usr/lib/pkg1" "$work/sparse-2t.img"
fi

# median wall seconds and max RSS (KiB) of RUNS runs of a command
measure() {
  local walls=() rss=0 out
  for _ in $(seq 1 "$runs"); do
    /usr/bin/time -o "$work/time.out" -f '%e %M' "$@" >/dev/null 2>&1 || true
    out=$(tail -1 "$work/time.out")
    walls+=("${out% *}")
    [ "${out#* }" -gt "$rss" ] && rss=${out#* }
  done
  printf '%s %s\n' "$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")" "$rss"
}

printf '%-16s %14s %14s %14s %14s %8s\n' image "imginspect s" "e2fsck s" "imginspect KiB" "e2fsck KiB" ratio
for img in rootfs-2g sparse-2t; do
  path="$work/$img.img"
  read -r ours our_rss < <(measure "$bin" scan --format json "$path")
  read -r theirs their_rss < <(measure e2fsck -fn "$path")
  ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  printf '%-16s %14s %14s %14s %14s %8s\n' "$img" "$ours" "$theirs" "$our_rss" "$their_rss" "$ratio"
done
