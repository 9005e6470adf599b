#!/usr/bin/env bash
# Builds the XFS sample images (listed in xfs.tsv) without root: mkfs.xfs -p
# PROTOFILE writes the tree, xfs_db -x edits a copy (block maps, refcount and
# rmap records, inode flags), xfs_repair makes the "after repair" sample.
# Each image is 300 MiB (mkfs.xfs's minimum) and sparse; only its xz file
# (sample-images/xfs-*.img.xz, tens of KiB) is committed. Tests unpack them.
#
#   bash sample-images/build-xfs.sh            # rebuild every xfs-*.img.xz
#   bash sample-images/build-xfs.sh --verify   # rebuild nothing: check the
#                                              # committed images' xfs_repair -n
#                                              # and xfs_db blockget -n exit
#                                              # codes against xfs.tsv
#   KEEP=DIR bash sample-images/build-xfs.sh   # also leave the raw images in DIR
#   ONLY="xfs-rmap-orphan" bash ...            # rewrite only these .img.xz files
#
# Needs xfsprogs (mkfs.xfs, xfs_db, xfs_repair; built with 6.1.0), xz, awk.
# Not byte-reproducible: mkfs.xfs stamps the current time into inodes.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
verify=0
[[ "${1:-}" == "--verify" ]] && verify=1

verify_committed() {
    status=0
    while IFS=$'\t' read -r name repair blockget _; do
        [[ -z "$name" || "$name" == \#* ]] && continue
        img="$work/check.img"
        xz -dc "$here/$name.img.xz" >"$img"
        r=0; xfs_repair -n "$img" >/dev/null 2>&1 || r=$?
        b=0; xfs_db -r -c 'blockget -n' "$img" >/dev/null 2>&1 || b=$?
        if [[ "$r" != "$repair" || "$b" != "$blockget" ]]; then
            echo "MISMATCH $name: xfs_repair -n $r (want $repair), blockget $b (want $blockget)"
            status=1
        else
            echo "ok $name: xfs_repair -n $r, blockget $b"
        fi
    done < <(tail -n +2 "$here/xfs.tsv")
    return $status
}

if ((verify)); then
    verify_committed
    exit $?
fi

UUID=11111111-2222-3333-4444-555555555555
src="$work/src"
mkdir -p "$src"
# Text content: compresses well, and each file's bytes are its own.
text() { yes "$1" | head -c "$2" || true; } # yes dies of SIGPIPE
text "root:\$6\$secret-hash-of-root:19000:0:99999:7:::" 12000 >"$src/shadow"
text "file a: row of text" 24000 >"$src/a"
text "file c: other text" 24000 >"$src/c"

# Files created empty (notes.txt, p, q, over-ag) are the ones whose block
# map is forged later: an empty file owns no blocks, so the forgery leaves no
# leaked space behind and the only inconsistency is the intended one.
{
    echo /dev/null
    echo 0 0
    echo "d--755 0 0"
    echo "etc d--755 0 0"
    echo "shadow ---600 0 0 $src/shadow"
    echo "link l--777 0 0 shadow"
    echo '$'
    echo "home d--755 1000 1000"
    echo "notes.txt ---644 1000 1000 /dev/null"
    echo "a ---644 1000 1000 $src/a"
    echo "c ---644 1000 1000 $src/c"
    echo "p ---644 1000 1000 /dev/null"
    echo "q ---644 1000 1000 /dev/null"
    echo "over-ag ---644 1000 1000 /dev/null"
    echo '$'
    # 300 names: a leaf-format directory (data blocks plus a leaf block).
    echo "many d--755 0 0"
    for i in $(seq 1 300); do echo "entry-with-a-longish-name-$i ---644 0 0 /dev/null"; done
    echo '$'
    echo '$'
} >"$work/proto"

db() { xfs_db -x "${@:2}" "$1" >/dev/null; }
# The inode number of a path.
ino_of() { xfs_db -r -c "path $2" -c 'p v3.inumber' "$1" | awk '{print $3}'; }
# "fsblock agno agbno count" of a path's first extent.
extent_of() {
    xfs_db -r -c "path $2" -c bmap "$1" |
        sed -n 's/.*startblock \([0-9]*\) (\([0-9]*\)\/\([0-9]*\)) count \([0-9]*\).*/\1 \2 \3 \4/p' | head -n1
}
# Gives the empty file PATH one extent: file block 0 → fsblock START, LEN blocks.
map_onto() {
    local img=$1 path=$2 start=$3 len=$4 ino
    ino=$(ino_of "$img" "$path")
    db "$img" -c "inode $ino" -c 'write core.nextents 1' \
        -c "write u3.bmx[0].startoff 0" -c "write u3.bmx[0].startblock $start" \
        -c "write u3.bmx[0].blockcount $len" -c "write core.size $((len * 4096))" \
        -c "write core.nblocks $len"
}
# Sets di_flags2 REFLINK on an inode.
reflink_flag() { db "$1" -c "inode $2" -c 'write v3.reflink 1'; }
# Appends a record (AGBNO, LEN, COUNT) to AG's refcount btree leaf root.
refcount_add() {
    local img=$1 ag=$2 bno=$3 len=$4 count=$5 n
    n=$(xfs_db -r -c "agf $ag" -c 'addr refcntroot' -c 'p numrecs' "$img" | awk '{print $3}')
    n=$((n + 1))
    db "$img" -c "agf $ag" -c 'addr refcntroot' -c "write numrecs $n" \
        -c "write recs[$n].startblock $bno" -c "write recs[$n].blockcount $len" \
        -c "write recs[$n].refcount $count"
}
# Inserts the rmap record (AGBNO, LEN, OWNER, offset 0) into AG's rmap btree
# leaf root, keeping (startblock, owner) order.
rmap_add() {
    local img=$1 ag=$2 bno=$3 len=$4 owner=$5
    local recs
    recs=$(xfs_db -r -c "agf $ag" -c 'addr rmaproot' -c 'p recs' "$img" |
        sed -n 's/^[0-9]*:\[\(.*\)\] *$/\1/p' | tr ',' ' ')
    recs=$(printf '%s\n%s 0 0 0 0\n' "$recs" "$bno $len $owner 0" | sort -n -k1,1 -k3,3)
    local cmds=(-c "agf $ag" -c 'addr rmaproot')
    local k=0
    while read -r s l o off _; do
        k=$((k + 1))
        cmds+=(-c "write recs[$k].startblock $s" -c "write recs[$k].blockcount $l"
            -c "write -- recs[$k].owner $o" -c "write recs[$k].offset $off")
    done <<<"$recs"
    db "$img" -c "agf $ag" -c 'addr rmaproot' -c "write numrecs $k"
    db "$img" "${cmds[@]}"
}

build() { # name, then the steps to apply to a copy of the clean image
    local name=$1
    shift
    local img="$work/$name.img"
    cp --sparse=always "$work/xfs-clean.img" "$img"
    "$@" "$img"
    finish "$name"
}
finish() {
    local img="$work/$1.img"
    if [[ -n "${ONLY:-}" && " $ONLY " != *" $1 "* ]]; then
        return 0
    fi
    xz -9 -T1 -c "$img" >"$here/$1.img.xz"
    [[ -n "${KEEP:-}" ]] && cp --sparse=always "$img" "$KEEP/"
    printf '%s  %s.img.xz (%s bytes)\n' "$(sha256sum <"$img" | cut -c1-16)" "$1" "$(stat -c %s "$here/$1.img.xz")"
}

clean="$work/xfs-clean.img"
truncate -s 300M "$clean"
mkfs.xfs -q -p "$work/proto" -m crc=1,reflink=1,rmapbt=1,uuid=$UUID "$clean"
finish xfs-clean

read -r S_FSB S_AG S_BNO S_LEN < <(extent_of "$clean" /etc/shadow)
read -r A_FSB A_AG A_BNO A_LEN < <(extent_of "$clean" /home/a)
SHADOW=$(ino_of "$clean" /etc/shadow)
NOTES=$(ino_of "$clean" /home/notes.txt)

# notes.txt (uid 1000) maps /etc/shadow's blocks: nothing records the share.
forge() { map_onto "$1" /home/notes.txt "$S_FSB" "$S_LEN"; }
build xfs-forged-share forge

# The same forgery after xfs_repair: it adds the refcount and rmap records
# and sets REFLINK on both inodes, so every check passes afterwards.
repaired() { forge "$1"; xfs_repair "$1" >/dev/null 2>&1; }
build xfs-forged-repaired repaired

# A real reflink, written by hand: the share, a refcount record of 2, an
# rmap record for the new sharer and REFLINK on both inodes.
real() {
    forge "$1"
    refcount_add "$1" "$S_AG" "$S_BNO" "$S_LEN" 2
    rmap_add "$1" "$S_AG" "$S_BNO" "$S_LEN" "$NOTES"
    reflink_flag "$1" "$SHADOW"
    reflink_flag "$1" "$NOTES"
}
build xfs-reflink real

# The refcount record says 3 sharers where 2 inodes map the blocks.
count_wrong() {
    forge "$1"
    refcount_add "$1" "$S_AG" "$S_BNO" "$S_LEN" 3
    rmap_add "$1" "$S_AG" "$S_BNO" "$S_LEN" "$NOTES"
    reflink_flag "$1" "$SHADOW"
    reflink_flag "$1" "$NOTES"
}
build xfs-reflink-count-wrong count_wrong

# The refcount record is right, but the new sharer has no rmap record.
no_rmap() {
    forge "$1"
    refcount_add "$1" "$S_AG" "$S_BNO" "$S_LEN" 2
    reflink_flag "$1" "$SHADOW"
    reflink_flag "$1" "$NOTES"
}
build xfs-reflink-no-rmap no_rmap

# Three files overlapping in part: p maps a's blocks 1-4, q maps a's
# blocks 3-5 and c's first three (a and c are adjacent).
partial() {
    map_onto "$1" /home/p $((A_FSB + 1)) 4
    map_onto "$1" /home/q $((A_FSB + 3)) 6
}
build xfs-partial-three partial

# over-ag maps AG 1's first three blocks: the superblock copy, AGF, AGI and
# AGFL (one 4 KiB block with 512-byte sectors), then the bnobt and cntbt roots.
over_ag() { map_onto "$1" /home/over-ag $((1 << 15)) 3; }
build xfs-data-over-agheader over_ag

# The trees say more than the block maps: an rmap record gives /home/p
# (which maps nothing) shadow's blocks, and a refcount record of 2 covers
# /home/a's blocks, which nothing shares. This is how a forged image hides.
P=$(ino_of "$clean" /home/p)
hidden() {
    rmap_add "$1" "$S_AG" "$S_BNO" "$S_LEN" "$P"
    refcount_add "$1" "$A_AG" "$A_BNO" 2 2
}
build xfs-rmap-orphan hidden
