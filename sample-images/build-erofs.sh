#!/usr/bin/env bash
# Rebuild the crafted EROFS sample images used by imginspect's tests.
#
#   bash sample-images/build-erofs.sh            # rebuild all (any cwd)
#   bash sample-images/build-erofs.sh --verify   # also check fsck.erofs exit codes against erofs.tsv
#
# Uses erofs-utils (mkfs.erofs, dump.erofs, fsck.erofs; built with 1.5),
# python3 and coreutils; nothing is mounted. Pinned so that two runs give
# byte-identical images: the UUID (-U), every timestamp (-T, and the source
# files' mtimes with touch), the owners (--all-root), the file contents
# (generated from fixed text), and the order mkfs.erofs reads the tree in
# (it sorts directory entries by name). Crafted images are copies of
# erofs-plain.img with one inode's i_u (raw_blkaddr, byte 16 of the inode)
# rewritten in place; the superblock checksum (crc32c, raw, over bytes
# [1024, 4096) with the field zeroed) is recomputed, since with meta_blkaddr 0
# inode slots of block 0 are covered by it, so the kernel would still mount
# every image.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
OUT=$PWD
TS=1700000000
export TZ=UTC LC_ALL=C
umask 022

VERIFY=0
[[ ${1:-} == --verify ]] && VERIFY=1

for tool in mkfs.erofs dump.erofs fsck.erofs python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (install erofs-utils, python3)" >&2; exit 1; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# text N SEED: N bytes of deterministic text
text() {
    python3 - "$1" "$2" <<'EOF'
import sys
n, seed = int(sys.argv[1]), sys.argv[2]
line = f"{seed}: the quick brown fox jumps over the lazy dog 0123456789\n"
out, i = [], 0
while sum(map(len, out)) < n:
    out.append(f"{i:06d} {line}")
    i += 1
sys.stdout.write("".join(out)[:n])
EOF
}

mkfs() { # IMAGE SRC [options...]
    local img=$1 src=$2
    shift 2
    find "$src" -exec touch -h -d "@$TS" {} +
    rm -f "$OUT/$img"
    mkfs.erofs --quiet -T"$TS" -U 1a9e0e00-0000-4000-8000-000000000001 --all-root "$@" \
        "$OUT/$img" "$src" >/dev/null
}

nid_of() { # IMAGE PATH
    dump.erofs --path="$2" "$OUT/$1" | sed -n 's/.*NID: *\([0-9]*\).*/\1/p' | head -1
}

# set_blkaddr IMAGE NID BLOCK: rewrite the inode's i_u (raw_blkaddr) and the
# superblock checksum.
set_blkaddr() {
    python3 - "$OUT/$1" "$2" "$3" <<'EOF'
import struct, sys
path, nid, block = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = bytearray(open(path, "rb").read())
sb = 1024
assert struct.unpack_from("<I", b, sb)[0] == 0xE0F5E1E2
bs = 1 << b[sb + 12]
meta = struct.unpack_from("<I", b, sb + 40)[0]
at = meta * bs + nid * 32
layout = (struct.unpack_from("<H", b, at)[0] >> 1) & 7
assert layout in (0, 2), f"nid {nid} has layout {layout}, not flat"
struct.pack_into("<I", b, at + 16, block)

def crc32c_raw(data, crc=0xFFFFFFFF):
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc

if struct.unpack_from("<I", b, sb + 8)[0] & 1:  # EROFS_FEATURE_COMPAT_SB_CHKSUM
    region = bytearray(b[sb:bs])
    region[4:8] = b"\0\0\0\0"
    struct.pack_into("<I", b, sb + 4, crc32c_raw(region))
open(path, "wb").write(b)
EOF
}

# --- erofs-plain: flat plain and flat inline files, a symlink, subdirectories
src=$WORK/plain
mkdir -p "$src/etc" "$src/home/user" "$src/srv/data"
text 5000 shadow >"$src/etc/shadow"; chmod 600 "$src/etc/shadow"
text 700 passwd >"$src/etc/passwd"
text 40000 notes >"$src/home/user/notes.txt"
text 20480 big >"$src/srv/data/big.bin"          # five whole blocks: flat plain
text 12 small >"$src/srv/data/small.txt"         # inline in its inode's block
: >"$src/srv/data/empty"
ln -s ../../etc/passwd "$src/srv/data/link"
mkfs erofs-plain.img "$src"

# --- erofs-chunked-dedup: two identical files map the same chunks
src=$WORK/chunked
mkdir -p "$src/a" "$src/b"
text 16384 same >"$src/a/copy1.bin"
text 16384 same >"$src/b/copy2.bin"
text 9000 other >"$src/other.bin"
mkfs erofs-chunked-dedup.img "$src" --chunksize=4096

# --- erofs-lz4: compressed files (compact lcluster indexes)
src=$WORK/lz4
mkdir -p "$src/logs"
text 32768 log1 >"$src/logs/a.log"
text 16384 log2 >"$src/logs/b.log"
mkfs erofs-lz4.img "$src" -zlz4

# --- crafted copies of erofs-plain
big=$(nid_of erofs-plain.img /srv/data/big.bin)
notes=$(nid_of erofs-plain.img /home/user/notes.txt)
notes_start=$(dump.erofs --nid="$notes" -e "$OUT/erofs-plain.img" |
    awk '$1 == "0:" { sub(/\.\./, "", $7); print $7 / 4096; exit }')

cp "$OUT/erofs-plain.img" "$OUT/erofs-data-over-metadata.img"
set_blkaddr erofs-data-over-metadata.img "$big" 0        # block 0: superblock and inode slots

cp "$OUT/erofs-plain.img" "$OUT/erofs-partial-overlap.img"
set_blkaddr erofs-partial-overlap.img "$big" $((notes_start + 3))  # inside notes.txt's data

cp "$OUT/erofs-plain.img" "$OUT/erofs-moved-onto-data.img"
set_blkaddr erofs-moved-onto-data.img "$big" "$notes_start"  # exactly onto notes.txt's first blocks

cp "$OUT/erofs-plain.img" "$OUT/erofs-out-of-range.img"
set_blkaddr erofs-out-of-range.img "$big" 100000         # far past the end of the image

for img in erofs-plain erofs-chunked-dedup erofs-lz4 erofs-data-over-metadata erofs-partial-overlap erofs-moved-onto-data erofs-out-of-range; do
    printf '%s  %s.img\n' "$(sha256sum <"$OUT/$img.img" | cut -c1-16)" "$img"
done
echo "big.bin nid $big; notes.txt nid $notes, data from block $notes_start"

if ((VERIFY)); then
    fail=0
    while IFS=$'\t' read -r img want _; do
        [[ $img == image ]] && continue
        rc=0
        fsck.erofs "$OUT/$img" >/dev/null 2>&1 || rc=$?
        if [[ $rc != "$want" ]]; then
            echo "$img: fsck.erofs exit $rc, erofs.tsv says $want" >&2
            fail=1
        fi
    done <"$OUT/erofs.tsv"
    exit "$fail"
fi
