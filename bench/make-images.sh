#!/usr/bin/env bash
# Build the benchmark images for bench/scan-vs-e2fsck.sh, deterministically.
#
#   bash bench/make-images.sh [WORKDIR]        # default /tmp/imginspect-bench
#   ONLY="small small-xlink" bash bench/make-images.sh   # a subset
#
# Images (all sparse files, ext4, 4 KiB blocks, 256-byte inodes):
#
#   small.img            2 GiB, ~22k inodes in use: rootfs-like tree
#   small-xlink.img      small.img with 20 pairs of files cross-linked
#   inodes-1m.img        16 GiB, ~1,000,000 inodes in use (1000 dirs of mostly
#                        empty or one-block files) + 200 files of 20-2000 extents
#   inodes-1m-xlink.img  inodes-1m.img with 20 pairs of files cross-linked
#   fragmented-32g.img   32 GiB, 5,000 files of 6-5,000 extents each (depth-1
#                        and depth-2 extent trees)
#   sparse-2t.img        2 TiB, ~3.3k inodes in use
#
# An image that exists and whose recipe marker (.NAME.recipe) matches is
# skipped, so the script is idempotent; change RECIPE below to force rebuilds.
# Source trees come from bench/gen_tree.py (fixed seed, fixed mtimes) and are
# deleted after use (KEEP_TREES=1 keeps them); they are generated on /dev/shm
# when it has room (TREEDIR=DIR to choose).  Everything that varies between
# runs is pinned: the clock (E2FSPROGS_FAKE_TIME), UUID (-U), htree hash seed
# (-E hash_seed=), root owner, label, a private MKE2FS_CONFIG (the host's
# /etc/mke2fs.conf is not read), lazy itable/journal init, and the inodes'
# ctime, which mke2fs -d copies from the source tree and which is reset with
# debugfs afterwards (one batched debugfs run, ~3 s for 1M inodes;
# NORMALIZE=0 skips it).  Two builds give byte-identical images.
#
# Cost here (2 vCPUs, both busy with other work; e2fsprogs 1.47.0): small 12 s,
# inodes-1m 2.5 min (tree 37 s, mke2fs -d 101 s), fragmented-32g 5.7 min
# (mke2fs -d 328 s: 2.1M extents, 8 GiB of data), sparse-2t 9 s, the xlink
# copies 1-8 s; ~15 GB of disk in WORKDIR, and up to ~9 GB of /dev/shm while
# the fragmented tree exists.
#
# Needs e2fsprogs (mke2fs, debugfs, dumpe2fs, e2fsck), python3, coreutils.
# Fragmented files are written sparse by gen_tree.py (a data block at every
# other logical block) and mke2fs -d keeps the holes, so each data block is an
# extent of its own and no debugfs punching is needed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${1:-/tmp/imginspect-bench}
RECIPE=bench-v1
TS=1700000000
export E2FSPROGS_FAKE_TIME=$TS TZ=UTC LC_ALL=C
export PATH="$PATH:/usr/sbin:/sbin"
umask 022

for tool in mke2fs debugfs dumpe2fs e2fsck python3; do
    command -v "$tool" >/dev/null || { echo "make-images.sh: missing $tool" >&2; exit 1; }
done
mkdir -p "$WORK"
echo "workdir $WORK:"
df -h "$WORK" | sed 's/^/  /'

# Private mke2fs.conf: only what these images need, so that /etc/mke2fs.conf
# (or its absence) changes nothing.
cat >"$WORK/mke2fs.conf" <<'EOF'
[defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384
	lazy_itable_init = 1
	lazy_journal_init = 1

[fs_types]
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
EOF
export MKE2FS_CONFIG=$WORK/mke2fs.conf

# an interrupted build leaves no half-made image and no tree on /dev/shm
cleanup() {
    rm -f "$WORK"/*.img.tmp
    [[ ${KEEP_TREES:-0} == 1 ]] || rm -rf /dev/shm/imginspect-bench-trees
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
fresh() { # NAME: true if the image is missing or from another recipe
    [[ ! -f $WORK/$1.img || "$(cat "$WORK/.$1.recipe" 2>/dev/null)" != "$RECIPE" ]]
}
done_marker() { printf '%s\n' "$RECIPE" >"$WORK/.$1.recipe"; printf '%s\n' "$2" >"$WORK/.$1.buildtime"; }
sbfield() { dumpe2fs -h "$1" 2>/dev/null | sed -n "s/^$2: *//p"; }

# Source trees go to tmpfs (/dev/shm) when it has room: generating and, above
# all, deleting a million small files or millions of sparse extents on a disk
# filesystem mounted with `discard` costs minutes (one discard per freed
# extent; ~25 min for the 1M tree here).  TREEDIR overrides.
declare -A TREE_GIB=([rootfs]=1 [subtree]=1 [inodes1m]=4 [frag]=10)
treedir() { # PROFILE -> directory to generate its tree in
    local need=${TREE_GIB[$1]} avail mem
    if [[ -n ${TREEDIR:-} ]]; then printf '%s\n' "$TREEDIR"; return; fi
    if [[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs ]]; then
        avail=$(( $(stat -f -c '%a * %S' /dev/shm) / 2**30 ))
        mem=$(awk '/^MemAvailable:/ { print int($2 / 2^20) }' /proc/meminfo)
        if (( avail >= need + 2 && mem >= need + 4 )); then
            printf '%s\n' /dev/shm/imginspect-bench-trees; return
        fi
    fi
    echo "  (tree on disk in $WORK: no room on /dev/shm)" >&2
    printf '%s\n' "$WORK"
}

# tree PROFILE -> path of a freshly generated source tree (+ PROFILE.manifest)
tree() {
    local base d
    base=$(treedir "$1")
    mkdir -p "$base"
    d=$base/tree-$1
    printf '%s\n' "$d" >"$WORK/.tree-$1.path"
    rm -rf "$d" "$d.tmp"
    python3 "$here/gen_tree.py" "$1" "$d.tmp" --manifest "$WORK/$1.manifest" >&2
    mv "$d.tmp" "$d"
    printf '%s\n' "$d"
}
droptree() {
    [[ ${KEEP_TREES:-0} == 1 ]] && return 0
    rm -rf "$(cat "$WORK/.tree-$1.path")"
    rm -f "$WORK/.tree-$1.path"
    rmdir /dev/shm/imginspect-bench-trees 2>/dev/null || true
}

# normalize IMG: ctime of every in-use inode := TS (mke2fs -d copied the
# source tree's ctime, i.e. the build time).  One batched debugfs run.
normalize() {
    local img=$1 used
    [[ ${NORMALIZE:-1} == 1 ]] || return 0
    used=$(( $(sbfield "$img" 'Inode count') - $(sbfield "$img" 'Free inodes') ))
    # mke2fs -d allocates inodes 12.. in order; 2 is /, 11 lost+found
    awk -v n="$used" -v ts="$TS" 'BEGIN {
        printf "sif <2> ctime @%s\nsif <11> ctime @%s\n", ts, ts
        for (i = 12; i <= n; i++) printf "sif <%d> ctime @%s\n", i, ts }' >"$WORK/normalize.cmds"
    debugfs -w -f "$WORK/normalize.cmds" "$img" >"$WORK/normalize.log" 2>&1
    if grep -v '^debugfs' "$WORK/normalize.log" | grep -q .; then
        echo "make-images.sh: debugfs normalize failed on $img:" >&2
        grep -v '^debugfs' "$WORK/normalize.log" | head >&2
        return 1
    fi
}

# fsck_expect IMG RC: e2fsck -fn must exit RC
fsck_expect() {
    local rc=0
    e2fsck -fn "$1" >"$WORK/fsck.log" 2>&1 || rc=$?
    if [[ $rc != "$2" ]]; then
        echo "make-images.sh: e2fsck -fn $(basename "$1") exited $rc, expected $2:" >&2
        tail -20 "$WORK/fsck.log" >&2
        return 1
    fi
}

# mkimg NAME SIZE PROFILE UUIDNUM [mke2fs options...]
mkimg() {
    local name=$1 size=$2 profile=$3 n=$4 t0 t1 src img
    shift 4
    fresh "$name" || { echo "$name.img: up to date"; return 0; }
    img=$WORK/$name.img
    echo "$name.img: building ($size, tree $profile)..."
    t0=$(now)
    src=$(tree "$profile")
    echo "  tree: $(since "$t0") s"
    t1=$(now)
    rm -f "$img" "$img.tmp"
    truncate -s "$size" "$img.tmp"
    mke2fs -q -F -t ext4 -b 4096 -I 256 \
        -U "$(printf 'be4c0000-0000-4000-8000-%012d' "$n")" \
        -E "hash_seed=5eed5eed-0000-4000-8000-$(printf '%012d' "$n"),root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1" \
        -L "$name" -d "$src" "$@" "$img.tmp"
    echo "  mke2fs -d: $(since "$t1") s"
    t1=$(now)
    normalize "$img.tmp"
    [[ ${NORMALIZE:-1} == 1 ]] && echo "  debugfs ctime normalize: $(since "$t1") s"
    t1=$(now)
    droptree "$profile"
    echo "  tree removed: $(since "$t1") s"
    t1=$(now)
    fsck_expect "$img.tmp" 0
    echo "  e2fsck -fn (clean, exit 0): $(since "$t1") s"
    mv "$img.tmp" "$img"
    done_marker "$name" "$(since "$t0")"
    echo "  total $(since "$t0") s"
}

# mkxlink NAME BASE PROFILE: BASE.img copied, 20 pairs cross-linked
mkxlink() {
    local name=$1 base=$2 profile=$3 t0 t1 img
    fresh "$name" || { echo "$name.img: up to date"; return 0; }
    [[ -f $WORK/$base.img && -f $WORK/$profile.manifest ]] ||
        { echo "make-images.sh: $name needs $base.img and $profile.manifest" >&2; return 1; }
    img=$WORK/$name.img
    echo "$name.img: building (copy of $base.img, 20 cross-linked pairs)..."
    t0=$(now)
    rm -f "$img" "$img.tmp"
    cp --sparse=always "$WORK/$base.img" "$img.tmp"
    echo "  cp --sparse=always: $(since "$t0") s"
    python3 "$here/crosslink.py" "$img.tmp" "$WORK/$profile.manifest" 20 >"$WORK/$name.pairs"
    sed 's/^/  /' "$WORK/$name.pairs" | head -3
    echo "  ... ($(wc -l <"$WORK/$name.pairs") pairs, list in $WORK/$name.pairs)"
    t1=$(now)
    fsck_expect "$img.tmp" 4
    grep -q 'Running additional passes to resolve blocks claimed by more than one inode' "$WORK/fsck.log" &&
        grep -q 'Multiply-claimed block(s) in inode' "$WORK/fsck.log" ||
        { echo "make-images.sh: e2fsck did not report multiply-claimed blocks on $name" >&2; return 1; }
    echo "  e2fsck -fn: exit 4, pass 1B: $(grep -c 'Multiply-claimed block(s) in inode' "$WORK/fsck.log") inodes with multiply-claimed blocks ($(since "$t1") s)"
    mv "$img.tmp" "$img"
    done_marker "$name" "$(since "$t0")"
}

build_small()          { mkimg small 2G rootfs 1; }
build_small-xlink()    { mkxlink small-xlink small rootfs; }
build_inodes-1m()      { mkimg inodes-1m 16G inodes1m 2 -N 1100000; }
build_inodes-1m-xlink() { mkxlink inodes-1m-xlink inodes-1m inodes1m; }
build_fragmented-32g() { mkimg fragmented-32g 32G frag 3; }
build_sparse-2t()      { mkimg sparse-2t 2T subtree 4; }

ALL="small small-xlink inodes-1m inodes-1m-xlink fragmented-32g sparse-2t"
for b in ${ONLY:-$ALL}; do "build_$b"; done

echo
printf '| %-20s | %9s | %9s | %21s | %22s | %8s |\n' image size "on disk" "inodes used / total" "blocks used / total" "build s"
printf '|%s|%s|%s|%s|%s|%s|\n' ---------------------- ----------- ----------- ----------------------- ------------------------ ----------
for b in $ALL; do
    img=$WORK/$b.img
    [[ -f $img ]] || continue
    ic=$(sbfield "$img" 'Inode count'); fi=$(sbfield "$img" 'Free inodes')
    bc=$(sbfield "$img" 'Block count'); fb=$(sbfield "$img" 'Free blocks')
    printf '| %-20s | %9s | %9s | %21s | %22s | %8s |\n' "$b.img" \
        "$(du -h --apparent-size "$img" | cut -f1)" "$(du -h "$img" | cut -f1)" \
        "$((ic - fi)) / $ic" "$((bc - fb)) / $bc" "$(cat "$WORK/.$b.buildtime" 2>/dev/null || echo '?')"
done
echo
df -h "$WORK" | sed 's/^/  /'
