#!/usr/bin/env bash
# Rebuild the crafted ext2/ext4 sample images used by imginspect's tests.
#
#   bash sample-images/build.sh            # rebuild everything (any cwd)
#   bash sample-images/build.sh --verify   # also run e2fsck -fn on each image
#                                          # and compare exit codes with expected.tsv
#   ONLY="shadow partial" bash sample-images/build.sh   # rebuild a subset
#                                          # (names: see ALL= near the end)
#
# Only e2fsprogs (mke2fs -d, debugfs -w, dumpe2fs/e2fsck -fn for reading),
# coreutils (touch, truncate, dd, printf, head, sha256sum), sed and awk are
# used.  Built and checked with e2fsprogs 1.47.0; other versions may lay
# blocks out differently (the script re-derives block numbers, but the
# committed images and README numbers are from 1.47.0).  Everything that
# normally varies between runs is pinned: the clock (E2FSPROGS_FAKE_TIME), the
# UUID (-U), the htree hash seed (-E hash_seed=), the label (-L), the
# mke2fs.conf (a private copy, so the host's /etc/mke2fs.conf does not leak
# in), and every inode's owner / mode / timestamps (debugfs set_inode_field
# after mke2fs -d, because mke2fs -d copies ctime, atime and uid/gid from the
# host's source tree).  Running the script twice yields byte-identical images.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
OUT=$PWD

TS=1700000000                     # 2023-11-14 22:13:20 UTC
export E2FSPROGS_FAKE_TIME=$TS
export TZ=UTC LC_ALL=C
umask 022

VERIFY=0
[[ ${1:-} == --verify ]] && VERIFY=1

for tool in mke2fs debugfs e2fsck dumpe2fs; do
    command -v "$tool" >/dev/null || { echo "missing $tool (install e2fsprogs)" >&2; exit 1; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Private mke2fs.conf: same content as e2fsprogs 1.47's stock file (the parts
# that matter), so the result does not depend on the host's configuration.
cat >"$WORK/mke2fs.conf" <<'EOF'
[defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384

[fs_types]
	ext3 = {
		features = has_journal
	}
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
	small = {
		blocksize = 1024
		inode_ratio = 4096
	}
	floppy = {
		blocksize = 1024
		inode_ratio = 8192
	}
EOF
export MKE2FS_CONFIG=$WORK/mke2fs.conf

# ---------------------------------------------------------------- helpers --

# newsrc NAME -> prints a fresh, empty source directory
newsrc() {
    local d=$WORK/$1
    rm -rf "$d"
    mkdir -p "$d"
    printf '%s\n' "$d"
}

# fill FILE NBYTES TAG: deterministic, human-readable content of exactly NBYTES
fill() {
    local file=$1 n=$2 tag=$3 i=0
    {
        while :; do
            printf '%s line %05d: the quick brown fox jumps over the lazy dog\n' "$tag" "$i"
            i=$((i + 1))
        done
    } 2>/dev/null | head -c "$n" >"$file" || true
}

# stamp DIR: fixed mtime/atime on the whole source tree (symlinks included)
stamp() {
    find "$1" -depth -exec touch -h -d "@$TS" {} +
}

# mkfs IMG NBLOCKS UUIDNUM LABEL SRCDIR [mke2fs options...]
mkfs() {
    local img=$1 nblocks=$2 n=$3 label=$4 src=$5
    shift 5
    rm -f "$OUT/$img"
    mke2fs -q -F \
        -U "$(printf '1a9e5000-0000-4000-8000-%012d' "$n")" \
        -E "hash_seed=5eed5eed-0000-4000-8000-$(printf '%012d' "$n"),root_owner=0:0" \
        -L "$label" -d "$src" "$@" "$OUT/$img" "$nblocks" >/dev/null
}

# dbg IMG: run debugfs -w with the commands given on stdin; fail on any error
dbg() {
    local img=$1 log
    log=$(debugfs -w -f - "$OUT/$img" 2>&1) || { printf '%s\n' "$log" >&2; return 1; }
    # debugfs exits 0 even when a command fails; catch the usual error words.
    if printf '%s\n' "$log" | grep -E -v '^debugfs [0-9.]+ \(' |
        grep -E -i 'error|invalid|not found|usage:|couldn|can.t|unknown|bad ' >&2; then
        echo "debugfs failed on $img" >&2
        return 1
    fi
}

# q IMG REQUEST: run one read-only debugfs request, print its output
q() { debugfs -R "$2" "$OUT/$1" 2>/dev/null; }

# itable IMG GROUP -> first block of that group's inode table
itable() {
    dumpe2fs "$OUT/$1" 2>/dev/null |
        awk -v g="Group $2:" '$0 ~ "^"g {f=1} f && /Inode table at/ {sub(/.*Inode table at /,""); sub(/-.*/,""); print; exit}'
}

# normalize IMG SRCDIR: make every inode that came from SRCDIR (plus / and
# /lost+found) owned by root with the fixed timestamps.  Modes are taken from
# the source tree, which the script creates with explicit chmod.
normalize() {
    local img=$1 src=$2 big=$3 p
    {
        while IFS= read -r p; do
            p=/${p#"$src"}
            p=${p//\/\//\/}
            printf 'sif "%s" uid 0\nsif "%s" gid 0\n' "$p" "$p"
            printf 'sif "%s" %s @%s\n' "$p" atime "$TS" "$p" mtime "$TS" "$p" ctime "$TS"
            if [[ $big == 1 ]]; then
                printf 'sif "%s" %s 0\n' "$p" atime_extra "$p" mtime_extra "$p" ctime_extra \
                    "$p" crtime_extra
                printf 'sif "%s" crtime @%s\n' "$p" "$TS"
            fi
        done < <(find "$src" | LC_ALL=C sort; echo "$src/lost+found")
    } | dbg "$img"
}

# settimes IMG BIG PATH... : fixed timestamps for inodes created by debugfs
settimes() {
    local img=$1 big=$2 p
    shift 2
    for p in "$@"; do
        printf 'sif "%s" %s @%s\n' "$p" atime "$TS" "$p" mtime "$TS" "$p" ctime "$TS"
        if [[ $big == 1 ]]; then
            printf 'sif "%s" %s 0\n' "$p" atime_extra "$p" mtime_extra "$p" ctime_extra \
                "$p" crtime_extra
            printf 'sif "%s" crtime @%s\n' "$p" "$TS"
        fi
    done | dbg "$img"
}

# owner IMG UID GID PATH...
owner() {
    local img=$1 uid=$2 gid=$3 p
    shift 3
    for p in "$@"; do
        printf 'sif "%s" uid %s\nsif "%s" gid %s\n' "$p" "$uid" "$p" "$gid"
    done | dbg "$img"
}

# put_le32 IMG BLOCKSIZE BLOCK OFFSET VALUE: raw little-endian write (dd)
put_le32() {
    local img=$1 bs=$2 blk=$3 off=$4 v=$5
    printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((v & 255)) $(((v >> 8) & 255)) \
        $(((v >> 16) & 255)) $(((v >> 24) & 255)))" |
        dd of="$OUT/$img" bs=1 seek=$((blk * bs + off)) conv=notrunc status=none
}

# sb IMG FIELD -> value of a superblock field as printed by dumpe2fs -h
sb() { dumpe2fs -h "$OUT/$1" 2>/dev/null | sed -n "s/^$2: *//p"; }

# bitmap_op IMG freeb|setb START COUNT: flip START..START+COUNT-1 (one group)
# in the block bitmap AND fix the group-descriptor / superblock free counters
# (debugfs freeb/setb only touch the bitmap).
bitmap_op() {
    local img=$1 op=$2 start=$3 cnt=$4 first bpg grp gfree sfree d
    first=$(sb "$img" 'First block')
    bpg=$(sb "$img" 'Blocks per group')
    grp=$(( (start - first) / bpg ))
    (( (start + cnt - 1 - first) / bpg == grp )) || { echo "bitmap_op: range spans groups" >&2; return 1; }
    gfree=$(dumpe2fs "$OUT/$img" 2>/dev/null |
        awk -v g="Group $grp:" '$0 ~ "^"g {f=1} f && / free blocks,/ {print $1; exit}')
    sfree=$(sb "$img" 'Free blocks')
    d=$cnt; [[ $op == setb ]] && d=$((-cnt))
    printf '%s %s %s\nset_bg %s free_blocks_count %s\nset_bg %s checksum calc\nssv free_blocks_count %s\n' \
        "$op" "$start" "$cnt" "$grp" $((gfree + d)) "$grp" $((sfree + d)) | dbg "$img"
}
release() { bitmap_op "$1" freeb "$2" "$3"; }
claim() { bitmap_op "$1" setb "$2" "$3"; }

# mkextent IMG PATH START LEN SIZE: give an empty extent-mapped file a
# one-extent tree in the inode (header: magic 0xF30A, 1 entry, max 4, depth 0)
mkextent() {
    local img=$1 path=$2 start=$3 len=$4 size=$5 bs
    bs=$(sb "$img" 'Block size')
    printf 'sif "%s" block[%s] %s\n' "$path" 0 $(((1 << 16) | 0xF30A)) "$path" 1 4 "$path" 2 0 \
        "$path" 3 0 "$path" 4 "$len" "$path" 5 "$start" | dbg "$img"
    printf 'sif "%s" size %s\nsif "%s" blocks %s\n' "$path" "$size" "$path" $((len * bs / 512)) | dbg "$img"
}

# free_run IMG GROUP N -> start of the first run of N free blocks in GROUP
free_run() {
    dumpe2fs "$OUT/$1" 2>/dev/null |
        awk -v g="Group $2:" -v n="$3" '$0 ~ "^"g {f=1}
            f && /^  Free blocks: / {
                sub(/^  Free blocks: /, ""); k = split($0, r, ", ")
                for (i = 1; i <= k; i++) { split(r[i], e, "-"); if (e[2] == "") e[2] = e[1]
                    if (e[2] - e[1] + 1 >= n) { print e[1]; exit } }
                exit }'
}

# put_file IMG BLOCK FILE: raw-write FILE's bytes at BLOCK (dd)
put_file() {
    local bs
    bs=$(sb "$1" 'Block size')
    dd if="$3" of="$OUT/$1" bs="$bs" seek="$2" conv=notrunc status=none
}

# place IMG PATH CONTENT: give the (empty) file PATH the bytes of CONTENT,
# stored as ONE extent on the first free run in group 0 that is large enough.
# mke2fs -d does not always allocate a file contiguously, and the crafted
# images need exact, single-extent layouts.  Prints the start block.
place() {
    local img=$1 path=$2 content=$3 bs size n x
    bs=$(sb "$img" 'Block size')
    size=$(stat -c %s "$content")
    n=$(( (size + bs - 1) / bs ))
    x=$(free_run "$img" 0 "$n")
    [[ -n $x ]] || { echo "place: no free run of $n blocks" >&2; return 1; }
    put_file "$img" "$x" "$content"
    claim "$img" "$x" "$n"
    mkextent "$img" "$path" "$x" "$n" "$size"
    printf '%s\n' "$x"
}

declare -a BUILT=()
built() { BUILT+=("$1"); }

# ------------------------------------------------------------------ images --

# 1. clean-ext4.img -- 1 KiB blocks, 2 block groups, metadata_csum, no journal.
build_clean() {
    local img=clean-ext4.img s
    s=$(newsrc clean)
    mkdir -p "$s/etc" "$s/home/user/docs/2023/q4" "$s/var/lib/app"
    printf 'imginspect-sample\n' >"$s/etc/hostname"
    fill "$s/home/user/docs/report.txt" 6000 report            # 6 blocks
    ln "$s/home/user/docs/report.txt" "$s/home/user/report-hardlink.txt"
    fill "$s/home/user/docs/2023/q4/summary.txt" 1500 summary  # 2 blocks
    ln -s docs/report.txt "$s/home/user/report-symlink"        # fast symlink
    ln -s /home/user/docs/2023/q4/../../../../user/docs/2023/q4/summary.txt \
        "$s/home/user/long-symlink"                            # 65 chars: slow
    # sparse: 2 data blocks, 4 KiB hole, 2 data blocks (logical 0-1, 6-7)
    fill "$s/var/lib/app/sparse.bin" 2048 sparse-head
    fill "$WORK/tail" 2048 sparse-tail
    dd if="$WORK/tail" of="$s/var/lib/app/sparse.bin" bs=1024 seek=6 conv=notrunc status=none
    : >"$s/var/lib/app/empty"
    chmod 0755 "$s" "$s/etc" "$s/home" "$s/home/user" "$s/home/user/docs" \
        "$s/home/user/docs/2023" "$s/home/user/docs/2023/q4" "$s/var" "$s/var/lib" "$s/var/lib/app"
    chmod 0644 "$s/etc/hostname" "$s/home/user/docs/report.txt" \
        "$s/home/user/docs/2023/q4/summary.txt" "$s/var/lib/app/sparse.bin" "$s/var/lib/app/empty"
    stamp "$s"
    mkfs $img 2048 1 clean-ext4 "$s" -t ext4 -b 1024 -g 1024 -N 64 -O ^has_journal
    normalize $img "$s" 1
    owner $img 1000 1000 /home/user /home/user/docs /home/user/docs/2023 /home/user/docs/2023/q4 \
        /home/user/docs/report.txt /home/user/docs/2023/q4/summary.txt
    built $img
}

# shadow_text FILE: a fake /etc/shadow (hashes are not real), ~6 KiB
shadow_text() {
    {
        printf 'root:$6$c2FsdHNhbHQ$FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE0:19675:0:99999:7:::\n'
        local u
        for u in daemon bin sys sync games man lp mail news uucp proxy www-data backup list irc; do
            printf '%s:*:19675:0:99999:7:::\n' "$u"
        done
        printf 'user:$6$dXNlcnNhbHQ$NOTAREALHASHNOTAREALHASHNOTAREALHASHNOTAREALHASH0:19675:0:99999:7:::\n'
    } >"$1"
    fill "$WORK/pad" 5000 '# padding'
    cat "$WORK/pad" >>"$1"
}

# 2. shadow-crosslink.img -- 4 KiB blocks.  /home/user/notes.txt (uid 1000,
#    0644) has an extent pointing at the data blocks of /etc/shadow (root,
#    0600): the root-only content becomes world-readable.
build_shadow() {
    local img=shadow-crosslink.img s sh n size
    s=$(newsrc shadow)
    mkdir -p "$s/etc" "$s/home/user"
    printf 'root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000:User:/home/user:/bin/bash\n' >"$s/etc/passwd"
    : >"$s/etc/shadow"; : >"$s/home/user/notes.txt"
    chmod 0755 "$s" "$s/etc" "$s/home"
    chmod 0750 "$s/home/user"
    chmod 0644 "$s/etc/passwd" "$s/home/user/notes.txt"
    chmod 0600 "$s/etc/shadow"
    stamp "$s"
    mkfs $img 512 2 shadow-xlink "$s" -t ext4 -b 4096 -N 64 -O ^has_journal
    normalize $img "$s" 1
    owner $img 1000 1000 /home/user /home/user/notes.txt
    shadow_text "$WORK/shadow.txt"
    size=$(stat -c %s "$WORK/shadow.txt")
    n=$(( (size + 4095) / 4096 ))
    sh=$(place $img /etc/shadow "$WORK/shadow.txt")
    # same extent, same byte size: reading notes.txt returns /etc/shadow
    mkextent $img /home/user/notes.txt "$sh" "$n" "$size"
    built $img
}

# need COND MESSAGE: abort when an allocation assumption does not hold
need() { (( $1 )) || { echo "build.sh: assumption failed: $2" >&2; exit 1; }; }

# 3. partial-overlap.img -- 1 KiB blocks.  a.bin, b.bin, c.bin are 8 blocks
#    each, built by hand on a run of 14 free blocks X..X+13:
#    a = X..X+7, b = X+4..X+11, c = X+6..X+13.
build_partial() {
    local img=partial-overlap.img s x i
    s=$(newsrc partial)
    mkdir -p "$s/data"
    : >"$s/data/a.bin"; : >"$s/data/b.bin"; : >"$s/data/c.bin"
    chmod 0755 "$s" "$s/data"; chmod 0644 "$s"/data/*.bin
    stamp "$s"
    mkfs $img 2048 3 partial-ovl "$s" -t ext4 -b 1024 -N 64 -O ^has_journal
    normalize $img "$s" 1
    x=$(free_run $img 0 $((14 + 15)))   # room to round up
    x=$(( (x + 15) / 16 * 16 ))          # round up to a tidy number
    : >"$WORK/pool"
    for i in $(seq 0 13); do
        fill "$WORK/blk" 1024 "physical block $((x + i)) (X+$i)"
        cat "$WORK/blk" >>"$WORK/pool"
    done
    put_file $img "$x" "$WORK/pool"
    claim $img "$x" 14
    mkextent $img /data/a.bin "$x" 8 8192
    mkextent $img /data/b.bin $((x + 4)) 8 8192
    mkextent $img /data/c.bin $((x + 6)) 8 8192
    built $img
}

# 4. inode-table-overlap.img -- 1 KiB blocks, 2 groups (flex_bg: both inode
#    tables live in group 0).  blob.bin is mapped onto the first 4 blocks of
#    group 0's inode table (inodes 1-16).
build_itable() {
    local img=inode-table-overlap.img s it
    s=$(newsrc itable)
    mkdir -p "$s/var/log"
    : >"$s/var/log/blob.bin"
    printf 'kernel: ok\n' >"$s/var/log/messages"
    chmod 0755 "$s" "$s/var" "$s/var/log"; chmod 0644 "$s"/var/log/*
    stamp "$s"
    mkfs $img 2048 4 itable-ovl "$s" -t ext4 -b 1024 -g 1024 -N 64 -O ^has_journal
    normalize $img "$s" 1
    it=$(itable $img 0)
    mkextent $img /var/log/blob.bin "$it" 4 4096
    built $img
}

# deep_src DIR: /data/deep.bin = 12 one-block chunks at logical blocks
# 0,2,4,...,22 (holes between) -> 12 extents -> depth-1 extent tree (1 leaf)
deep_src() {
    local s=$1 i
    mkdir -p "$s/data"
    : >"$s/data/deep.bin"
    for i in $(seq 0 11); do
        fill "$WORK/chunk" 1024 "deep chunk $i"
        dd if="$WORK/chunk" of="$s/data/deep.bin" bs=1024 seek=$((i * 2)) conv=notrunc status=none
    done
    truncate -s $((24 * 1024)) "$s/data/deep.bin"
    : >"$s/data/victim.txt"
    chmod 0755 "$s" "$s/data"; chmod 0644 "$s"/data/*
    stamp "$s"
}

# leaf IMG PATH -> the (single) extent-tree block of a depth-1 file
leaf() { q "$1" "ex $2" | awk '$1=="0/" && $2=="1" {print $8; exit}'; }

# 5a. deep-tree-crosslink.img -- victim.txt's data extent (2 blocks) is mapped
#     onto two physically adjacent data blocks of deep.bin (logical 2k, 2k+2).
build_deep() {
    local img=deep-tree-crosslink.img s d8 d10 k
    s=$(newsrc deep)
    deep_src "$s"
    mkfs $img 2048 5 deep-xlink "$s" -t ext4 -b 1024 -N 64 -O ^has_journal
    normalize $img "$s" 1
    # first pair of chunks (logical 2k, 2k+2; k >= 2) that are physically adjacent
    for k in $(seq 2 10); do
        d8=$(q $img "bmap /data/deep.bin $((2 * k))")
        d10=$(q $img "bmap /data/deep.bin $((2 * k + 2))")
        ((d10 == d8 + 1)) && break
    done
    need "d10 == d8 + 1" "two deep.bin chunks are physically adjacent"
    mkextent $img /data/victim.txt "$d8" 2 2048
    built $img
}

# 5b. tree-block-overlap.img -- victim.txt (1 block) is mapped onto the
#     extent-tree leaf block of deep.bin.
build_treeblk() {
    local img=tree-block-overlap.img s lf old
    s=$(newsrc treeblk)
    deep_src "$s"
    mkfs $img 2048 6 treeblk-ovl "$s" -t ext4 -b 1024 -N 64 -O ^has_journal
    normalize $img "$s" 1
    lf=$(leaf $img /data/deep.bin)
    need "${lf:-0} > 0" "deep.bin has an extent leaf block"
    mkextent $img /data/victim.txt "$lf" 1 1024
    built $img
}

# 6. ext2-indirect-crosslink.img -- ext2, 1 KiB blocks, block-mapped.
#    big.bin has 20 blocks (12 direct + single indirect block);
#    small.txt's i_block[0] is set to big.bin's indirect block.
build_ext2ind() {
    local img=ext2-indirect-crosslink.img s ind old
    s=$(newsrc ext2ind)
    mkdir -p "$s/data"
    fill "$s/data/big.bin" $((20 * 1024)) big
    fill "$s/data/small.txt" 700 small
    chmod 0755 "$s" "$s/data"; chmod 0644 "$s"/data/*
    stamp "$s"
    mkfs $img 2048 7 ext2-indirect "$s" -t ext2 -b 1024 -N 64
    normalize $img "$s" 1
    ind=$(q $img "stat /data/big.bin" | sed -n 's/.*(IND):\([0-9]*\).*/\1/p')
    need "${ind:-0} > 0" "big.bin has an indirect block"
    old=$(q $img "stat /data/small.txt" | sed -n '/^BLOCKS:/{n;s/^(0):\([0-9]*\)$/\1/p}')
    need "${old:-0} > 0" "small.txt has exactly one block"
    printf 'sif /data/small.txt block[0] %s\n' "$ind" | dbg $img
    release $img "$old" 1
    built $img
}

# 7. claimed-but-free.img -- ext4 1 KiB; data block 2 of file.bin is marked
#    free in the block bitmap (and in the free counters).
build_cbf() {
    local img=claimed-but-free.img s b
    s=$(newsrc cbf)
    mkdir -p "$s/data"
    fill "$s/data/file.bin" 4096 'claimed but free'
    chmod 0755 "$s" "$s/data"; chmod 0644 "$s"/data/*
    stamp "$s"
    mkfs $img 2048 8 claimed-free "$s" -t ext4 -b 1024 -N 64 -O ^has_journal
    normalize $img "$s" 1
    b=$(q $img "bmap /data/file.bin 2")
    release $img "$b" 1
    built $img
}

# 8. out-of-range.img -- ext4 1 KiB, 2048 blocks; oor.bin's extent starts at
#    block 1000000 (far beyond s_blocks_count).
build_oor() {
    local img=out-of-range.img s
    s=$(newsrc oor)
    mkdir -p "$s/data"
    : >"$s/data/oor.bin"
    chmod 0755 "$s" "$s/data"; chmod 0644 "$s"/data/*
    stamp "$s"
    mkfs $img 2048 9 out-of-range "$s" -t ext4 -b 1024 -N 64 -O ^has_journal
    normalize $img "$s" 1
    mkextent $img /data/oor.bin 1000000 2 2048
    built $img
}

# 9. shared-xattr.img -- ext4 4 KiB, 128-byte inodes (xattrs go to a block),
#    no metadata_csum (the refcount is patched with dd).  a, b, c share one
#    xattr block with h_refcount = 3, which is legitimate.
build_xattr() {
    local img=shared-xattr.img s xb
    s=$(newsrc xattr)
    mkdir -p "$s/srv"
    for f in a b c; do fill "$s/srv/$f.txt" 100 "xattr file $f"; done
    chmod 0755 "$s" "$s/srv"; chmod 0644 "$s"/srv/*
    stamp "$s"
    mkfs $img 512 10 shared-xattr "$s" -t ext4 -b 4096 -I 128 -N 64 \
        -O ^has_journal,^metadata_csum,^extra_isize
    normalize $img "$s" 0
    printf 'ea_set /srv/a.txt user.comment "%s"\nea_set /srv/a.txt user.origin imginspect-sample-images\n' \
        "$(printf 'shared extended attribute value %.0s' 1 2 3 4)" | dbg $img
    xb=$(q $img "stat /srv/a.txt" | sed -n 's/.*File ACL: \([0-9]*\).*/\1/p')
    need "${xb:-0} > 0" "a.txt got an xattr block"
    printf 'sif /srv/%s.txt file_acl %s\nsif /srv/%s.txt blocks 16\n' b "$xb" b c "$xb" c | dbg $img
    put_le32 $img 4096 "$xb" 4 3      # ext2_ext_attr_header.h_refcount = 3
    settimes $img 0 /srv/a.txt /srv/b.txt /srv/c.txt
    built $img
}

# 10. shared-blocks-feature.img -- ext4 1 KiB, 2 groups, RO_COMPAT
#     shared_blocks set.  dedup-1/dedup-2 share their data blocks; over.bin is
#     mapped onto group 1's block bitmap.
build_sharedfeat() {
    local img=shared-blocks-feature.img s bb d1
    s=$(newsrc sharedfeat)
    mkdir -p "$s/data"
    : >"$s/data/dedup-1.bin"; : >"$s/data/dedup-2.bin"; : >"$s/data/over.bin"
    chmod 0755 "$s" "$s/data"; chmod 0644 "$s"/data/*
    stamp "$s"
    mkfs $img 2048 11 shared-blocks "$s" -t ext4 -b 1024 -g 1024 -N 64 -O ^has_journal
    normalize $img "$s" 1
    fill "$WORK/dedup" 3072 dedup
    d1=$(place $img /data/dedup-1.bin "$WORK/dedup")
    mkextent $img /data/dedup-2.bin "$d1" 3 3072
    bb=$(dumpe2fs "$OUT/$img" 2>/dev/null | awk '/^Group 1:/ {f=1} f && /Block bitmap at/ {print $4; exit}')
    mkextent $img /data/over.bin "$bb" 1 1024
    printf 'feature shared_blocks\n' | dbg $img
    built $img
}

# 11. hostile-names.img -- ext4 1 KiB.  /tmp holds files whose names try to
#     drive the analyst's terminal (ANSI escapes, U+202E right-to-left
#     override, newline + carriage return, invalid UTF-8).  The ESC-named file
#     (uid 1000, 0644) is cross-linked with /root/secret (root, 0600), so the
#     cross-link finding must print the hostile name.  Paths with such bytes
#     cannot be passed to debugfs on its command line (a newline ends the
#     command), so every inode is addressed as <N>: mke2fs -d numbers them
#     in sorted (C locale) order from 12 up, checked below with ncheck.
build_hostile() {
    local img=hostile-names.img s t esc rlo nl bad n last sec size
    esc=$'\x1b[2J\x1b[31mowned'        # 1b 5b 32 4a 1b 5b 33 31 6d 6f 77 6e 65 64
    rlo=$'invoice\xe2\x80\xaefdp.exe'  # U+202E RIGHT-TO-LEFT OVERRIDE, UTF-8 e2 80 ae
    nl=$'line1\nline2\rX'              # LF and CR inside the name
    bad=$'bad\xff\xfe.txt'             # not valid UTF-8
    s=$(newsrc hostile)
    t=$s/tmp
    mkdir -p "$s/root" "$t"
    : >"$s/root/secret"; : >"$t/$esc"
    printf 'MZ this is not really a PDF\n' >"$t/$rlo"
    printf 'a file whose name holds a newline and a carriage return\n' >"$t/$nl"
    printf 'a file whose name is not valid UTF-8\n' >"$t/$bad"
    chmod 0755 "$s"; chmod 0700 "$s/root"; chmod 1777 "$t"
    chmod 0600 "$s/root/secret"
    chmod 0644 "$t/$esc" "$t/$rlo" "$t/$nl" "$t/$bad"
    stamp "$s"
    mkfs $img 2048 12 hostile-names "$s" -t ext4 -b 1024 -N 64 -O ^has_journal
    # /, lost+found and 12..last (every inode mke2fs -d created), by number
    n=$(find "$s" -mindepth 1 -printf x | wc -c)
    last=$((11 + n))
    # sorted order: /root 12, /root/secret 13, /tmp 14, then /tmp by bytes:
    # ESC (0x1b) 15, bad (0x62) 16, invoice (0x69) 17, line1 (0x6c) 18
    need "last == 18" "hostile-names.img has inodes 12..18"
    [[ $(q $img "ncheck 13") == *$'\t/root/secret' ]] &&
        [[ $(q $img "ncheck 15") == *$'\t/tmp/'"$esc" ]] ||
        { echo "build.sh: assumption failed: hostile-names.img inode numbers" >&2; exit 1; }
    owner $img 0 0 "<2>" "<11>" $(seq -f '<%g>' 12 $last)
    settimes $img 1 "<2>" "<11>" $(seq -f '<%g>' 12 $last)
    owner $img 1000 1000 $(seq -f '<%g>' 15 18)
    # /root/secret gets 2 blocks of its own; the ESC file the same extent
    fill "$WORK/secret" 2000 'root-only secret: api_key=NOT-A-REAL-KEY-0000'
    size=$(stat -c %s "$WORK/secret")
    sec=$(place $img "<13>" "$WORK/secret")
    mkextent $img "<15>" "$sec" 2 "$size"
    built $img
}

# 13. deleted-reused.img -- 1 KiB blocks, ext4, no journal.  Two of alice's
#     files are removed with debugfs rm, which (like ext2, unlike the ext4
#     kernel) leaves the block map in the freed inode and the name in the
#     directory's slack: /home/alice/diary.txt, whose blocks a later file,
#     /tmp/upload.bin (uid 1001), takes, and /home/alice/old-notes.txt, whose
#     blocks stay free.  Models recovery of deleted files: the diary's old map
#     now leads to someone else's data (`reused_blocks`), which is not a
#     cross-link.  The freed inodes are held in the bitmap (seti) while the new
#     file is written, so that it gets new inode numbers, then released.
build_deleted() {
    local img=deleted-reused.img s diary notes upload
    s=$(newsrc deleted)
    mkdir -p "$s/home/alice" "$s/tmp" "$s/etc"
    printf 'deleted-reused\n' >"$s/etc/hostname"
    fill "$s/home/alice/diary.txt" 5000 'dear diary'
    fill "$s/home/alice/old-notes.txt" 3000 'old notes'
    fill "$s/home/alice/todo.txt" 900 'todo'
    chmod 0755 "$s" "$s/home" "$s/etc"; chmod 0700 "$s/home/alice"; chmod 1777 "$s/tmp"
    chmod 0600 "$s/home/alice/"*.txt; chmod 0644 "$s/etc/hostname"
    stamp "$s"
    mkfs $img 1024 13 deleted-reused "$s" -t ext4 -b 1024 -N 64 -O ^has_journal
    normalize $img "$s" 1
    owner $img 1000 1000 /home/alice /home/alice/diary.txt /home/alice/old-notes.txt \
        /home/alice/todo.txt
    ino() { q $img "stat $1" | sed -n 's/^Inode: \([0-9]*\).*/\1/p'; }
    diary=$(ino /home/alice/diary.txt)
    notes=$(ino /home/alice/old-notes.txt)
    printf 'rm /home/alice/diary.txt\nrm /home/alice/old-notes.txt\nseti <%s>\nseti <%s>\n' \
        "$diary" "$notes" | dbg $img
    fill "$WORK/upload" 4000 'uploaded later by someone else'
    printf 'write %s /tmp/upload.bin\nfreei <%s>\nfreei <%s>\n' "$WORK/upload" "$diary" "$notes" |
        dbg $img
    upload=$(ino /tmp/upload.bin)
    need "upload > notes" "deleted-reused.img: the upload gets a new inode"
    printf 'sif <%s> mode 0100644\n' "$upload" | dbg $img
    owner $img 1001 1001 "<$upload>"
    settimes $img 1 "<$upload>"
    # The upload must have taken blocks the diary's old map still names.
    [[ $(q $img "icheck $(q $img "blocks <$diary>" | awk '{print $1}')") == *$'\t'"$upload"* ]] ||
        { echo "build.sh: assumption failed: deleted-reused.img reuse" >&2; exit 1; }
    built $img
}

# 14. orphan-shadow-trap.img -- 4 KiB blocks.  The orphan list (s_last_orphan)
#     holds one unlinked inode (links 0, no name, uid 1000) whose extent maps
#     /etc/shadow's first block.  Any mount of a writable device (even -o ro)
#     runs orphan cleanup, which deletes it and frees that block while shadow
#     still uses it; the next file written gets it.  e2fsck -fn only sees "a
#     deleted inode" and a bitmap difference; e2fsck -p clears it and exits 0.
# 15. orphan-truncate-trap.img -- the same, but the orphan is the linked
#     /home/user/notes.txt (i_size 4096, one block of its own) whose extent
#     tree also maps logical block 1 onto shadow's second block: cleanup
#     truncates it to its size and frees that block.  e2fsck -fn sees the
#     cross-link (pass 1B), not that mount frees shadow's block.
build_orphan_image() {
    local img=$1 kind=$2 n=$3 s sh size gone notes x
    s=$(newsrc "orphan-$kind")
    mkdir -p "$s/etc" "$s/home/user" "$s/tmp"
    printf 'root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000:User:/home/user:/bin/bash\n' >"$s/etc/passwd"
    : >"$s/etc/shadow"; : >"$s/home/user/notes.txt"; : >"$s/tmp/upload.bin"
    chmod 0755 "$s" "$s/etc" "$s/home"
    chmod 1777 "$s/tmp"
    chmod 0750 "$s/home/user"
    chmod 0644 "$s/etc/passwd" "$s/home/user/notes.txt" "$s/tmp/upload.bin"
    chmod 0600 "$s/etc/shadow"
    stamp "$s"
    mkfs $img 512 "$n" orphan-trap "$s" -t ext4 -b 4096 -N 64 -O ^has_journal
    normalize $img "$s" 1
    owner $img 1000 1000 /home/user /home/user/notes.txt /tmp/upload.bin
    shadow_text "$WORK/shadow.txt"
    size=$(stat -c %s "$WORK/shadow.txt")
    need "size > 4096 && size <= 8192" "$img: shadow takes two blocks"
    sh=$(place $img /etc/shadow "$WORK/shadow.txt")
    gone=$(q $img 'stat /tmp/upload.bin' | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
    notes=$(q $img 'stat /home/user/notes.txt' | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
    need "gone > 0 && notes > 0" "$img: inode numbers"
    if [[ $kind == delete ]]; then
        # The unlinked orphan: one extent over shadow's first block.
        mkextent $img /tmp/upload.bin "$sh" 1 4096
        printf 'unlink /tmp/upload.bin\nsif <%s> links_count 0\nssv last_orphan %s\n' \
            "$gone" "$gone" | dbg $img
    else
        # notes.txt: one block of its own, and logical block 1 (past its
        # 4096-byte size) on shadow's second block.
        fill "$WORK/notes" 4096 'notes of user'
        x=$(place $img /home/user/notes.txt "$WORK/notes")
        printf 'sif "%s" block[0] %s\nsif "%s" block[6] 1\nsif "%s" block[7] 1\nsif "%s" block[8] %s\nsif "%s" blocks 16\n' \
            /home/user/notes.txt $(((2 << 16) | 0xF30A)) /home/user/notes.txt /home/user/notes.txt \
            /home/user/notes.txt $((sh + 1)) /home/user/notes.txt | dbg $img
        printf 'ssv last_orphan %s\n' "$notes" | dbg $img
    fi
    built $img
}
build_orphan() {
    build_orphan_image orphan-shadow-trap.img delete 14
    build_orphan_image orphan-truncate-trap.img truncate 15
}

# ------------------------------------------------------------------- main --
ALL="clean shadow partial itable deep treeblk ext2ind cbf oor xattr sharedfeat hostile deleted orphan"
for b in ${ONLY:-$ALL}; do "build_$b"; done

echo
echo "sha256 of the images in $OUT:"
for img in "${BUILT[@]}"; do
    sha256sum "$img"
done
if ((VERIFY)); then
    # e2fsck -n never writes; compare its exit status with expected.tsv
    echo
    fail=0
    for img in "${BUILT[@]}"; do
        rc=0
        e2fsck -fn "$img" >/dev/null 2>&1 || rc=$?
        want=$(awk -F'\t' -v i="$img" '$1 == i {print $2}' expected.tsv 2>/dev/null)
        status=ok
        [[ -n $want && $want != "$rc" ]] && { status="MISMATCH (expected $want)"; fail=1; }
        printf 'e2fsck -fn %-28s -> exit %s  %s\n' "$img" "$rc" "$status"
    done
    exit $fail
fi
