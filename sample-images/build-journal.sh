#!/usr/bin/env bash
# Rebuild the ext4 sample images with a pending JBD2 journal (issue 10).
#
#   bash sample-images/build-journal.sh            # rebuild everything (any cwd)
#   bash sample-images/build-journal.sh --verify   # also run e2fsck -fn on each image
#                                                  # and on a `debugfs -w -R jr` copy, and
#                                                  # compare with journal.tsv
#   ONLY="trap revoked" bash sample-images/build-journal.sh   # rebuild a subset
#                                                  # (names: see ALL= near the end)
#   KEEPWORK=1 bash sample-images/build-journal.sh # keep the mktemp work directory
#
# Every image is a 3 MiB ext4 filesystem (1 KiB blocks, 3072 blocks, one block
# group, metadata_csum, 64bit, flex_bg, a 1024-block internal journal in inode
# 8) with the needs_recovery flag set and transactions written into the
# journal by debugfs's journal commands (e2fsprogs >= 1.43):
#
#   jo [-c] [-v 2|3]           journal_open  (-c: turn on checksums, v3 by
#                              default; only possible while the journal is clean)
#   jw [-b BLK,..] [-r BLK,..] [-c] FILE
#                              journal_write: one transaction with a descriptor
#                              block, the blocks read from FILE (one per -b
#                              block, in order), a revoke block for -r, and a
#                              commit block -- unless -c, which means "do NOT
#                              commit".  Never give -b and -r together: debugfs
#                              reserves no room for the revoke block, and the
#                              next jw overwrites this one's commit block.
#   jc                         journal_close (writes the journal superblock;
#                              s_start and needs_recovery stay set)
#   jr                         journal_run: replay (used on copies only)
#
# The forged blocks are made on a scratch copy of the image with debugfs
# set_inode_field (so the inode checksum is right), read out with dd, and
# logged with `jw -b <inode-table block> FILE`; the image itself is never
# given the forgery.  `e2fsck -fn` skips journal recovery, so it sees only the
# clean on-disk filesystem.
#
# Reproducibility: besides what build.sh pins (E2FSPROGS_FAKE_TIME, -U,
# hash_seed, -L, a private mke2fs.conf, every inode's owner and times),
# debugfs stamps each commit block with gettimeofday().  fix_commits (python3)
# rewrites h_commit_sec to 1700000000 + sequence, h_commit_nsec to 0, and
# recomputes the commit block's crc32c when the journal has checksums v2/v3.
# Running the script twice yields byte-identical images.
#
# Tools: e2fsprogs (mke2fs, debugfs, dumpe2fs, e2fsck), coreutils, awk,
# python3.  Built and checked with e2fsprogs 1.47.0.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
OUT=$PWD

TS=1700000000                     # 2023-11-14 22:13:20 UTC
export E2FSPROGS_FAKE_TIME=$TS
export TZ=UTC LC_ALL=C
umask 022

VERIFY=0
[[ ${1:-} == --verify ]] && VERIFY=1

for tool in mke2fs debugfs e2fsck dumpe2fs python3 cmp; do
    command -v "$tool" >/dev/null || { echo "missing $tool (install e2fsprogs, python3)" >&2; exit 1; }
done

WORK=$(mktemp -d)
trap '[[ -n ${KEEPWORK:-} ]] || rm -rf "$WORK"' EXIT

# Private mke2fs.conf (the same as build.sh's), so the host's does not leak in.
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

# dbg IMG: run debugfs -w with the commands given on stdin; fail on any error
# (IMG is a path here, not a name in $OUT)
dbg() {
    local img=$1 log
    log=$(debugfs -w -f - "$img" 2>&1) || { printf '%s\n' "$log" >&2; return 1; }
    # debugfs exits 0 even when a command fails; catch the usual error words.
    if printf '%s\n' "$log" | grep -E -v '^debugfs [0-9.]+ \(' |
        grep -E -i 'error|invalid|not found|usage:|couldn|can.t|unknown|bad |not open|need' >&2; then
        echo "debugfs failed on $img" >&2
        return 1
    fi
}

# q IMG REQUEST: one read-only debugfs request
q() { debugfs -R "$2" "$1" 2>/dev/null; }

# need COND MESSAGE: abort when a layout assumption does not hold
need() { (( $1 )) || { echo "build-journal.sh: assumption failed: $2" >&2; exit 1; }; }

# ino IMG PATH -> inode number
ino() { q "$1" "stat $2" | sed -n 's/^Inode: \([0-9]*\).*/\1/p'; }

# iblock IMG INO -> the inode-table block that holds inode INO
iblock() { q "$1" "imap <$2>" | sed -n 's/.*located at block \([0-9]*\),.*/\1/p'; }

# extent1 IMG PATH -> "START LEN" of the file's single extent (fails otherwise)
extent1() {
    q "$1" "blocks $2" | awk '{n = NF; for (i = 2; i <= NF; i++) if ($i != $(i-1) + 1) bad = 1}
        END {if (bad || n == 0) exit 1; print $1, n}'
}

# getblk IMG BLOCK FILE: copy one 1 KiB block out of IMG
getblk() { dd if="$1" of="$3" bs=1024 skip="$2" count=1 status=none; }

# jblocks IMG -> the journal's physical blocks in logical order (inode 8)
jblocks() { q "$1" "blocks <8>"; }

# forge IMG OUTFILE INO: apply the set_inode_field commands on stdin to a
# scratch copy of IMG and write the resulting inode-table block of inode INO
# to OUTFILE.  IMG itself is not changed.
forge() {
    local img=$1 outf=$2 i=$3
    cp "$img" "$WORK/scratch.img"
    dbg "$WORK/scratch.img"
    getblk "$WORK/scratch.img" "$(iblock "$WORK/scratch.img" "$i")" "$outf"
    rm -f "$WORK/scratch.img"
}

# fix_commits IMG [ACTION...]: make the commit blocks reproducible
# (h_commit_sec = TS + sequence, h_commit_nsec = 0, commit crc32c recomputed
# under checksums v2/v3), then apply the deliberate corruptions:
#   badcommit:SEQ  flip the low bit of the commit block checksum of SEQ
#   badtag:SEQ     flip the low bit of the first tag's t_checksum in SEQ's
#                  descriptor and recompute the descriptor's own checksum
#                  (so only the data-block check fails)
fix_commits() {
    local img=$1
    shift
    python3 - "$img" "$TS" "$(jblocks "$img")" "$@" <<'PY'
import struct, sys

def crc32c(crc, data, _t=[]):
    # raw crc32c as jbd2 uses it: seed in, no final inversion
    if not _t:
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            _t.append(c)
    for b in data:
        crc = _t[(crc ^ b) & 0xff] ^ (crc >> 8)
    return crc

img, ts, jbl = sys.argv[1], int(sys.argv[2]), [int(x) for x in sys.argv[3].split()]
actions = sys.argv[4:]
BS = 1024
f = open(img, 'r+b')
def rd(b):
    f.seek(b * BS)
    return bytearray(f.read(BS))
def wr(b, data):
    f.seek(b * BS)
    f.write(data)
jsb = rd(jbl[0])
incompat = struct.unpack('>I', jsb[0x28:0x2c])[0]
v23 = bool(incompat & 0x18)          # CSUM_V2 | CSUM_V3
v3 = bool(incompat & 0x10)
is64 = bool(incompat & 0x2)
seed = crc32c(0xffffffff, bytes(jsb[0x30:0x40]))
for jb, fb in enumerate(jbl[1:], 1):
    blk = rd(fb)
    magic, btype, seq = struct.unpack('>III', blk[:12])
    if magic != 0xc03b3998:
        continue
    if btype == 2:                    # commit block
        blk[0x30:0x38] = struct.pack('>Q', ts + seq)
        blk[0x38:0x3c] = bytes(4)
        if v23:
            blk[0x10:0x14] = bytes(4)
            blk[0x10:0x14] = struct.pack('>I', crc32c(seed, bytes(blk)))
        if 'badcommit:%d' % seq in actions:
            blk[0x13] ^= 1
            print('  corrupted the commit checksum of sequence %d' % seq)
        wr(fb, blk)
    elif btype == 1 and 'badtag:%d' % seq in actions:
        assert v3, 'badtag needs checksums v3'
        off = 12 + 12                 # first tag3: blocknr, flags, blocknr_high, checksum
        blk[off + 3] ^= 1
        blk[BS - 4:] = bytes(4)
        blk[BS - 4:] = struct.pack('>I', crc32c(seed, bytes(blk)))
        wr(fb, blk)
        print('  corrupted the first tag checksum of sequence %d' % seq)
f.close()
PY
}

# replay IMG COPY: COPY = IMG with the journal replayed by debugfs jr
# (prints what jr printed, if anything)
replay() {
    cp "$1" "$2"
    debugfs -w -R jr "$2" 2>&1 | grep -v '^debugfs [0-9.]* (' || true
}

# changed A B -> the 1 KiB blocks that differ between A and B, as ranges
changed() {
    { cmp -l "$1" "$2" || true; } | awk '{print int(($1 - 1) / 1024)}' | uniq |
        awk 'NR == 1 {s = p = $1; next}
             $1 == p + 1 {p = $1; next}
             {o = o (o ? "," : "") (s == p ? s : s "-" p); s = p = $1}
             END {if (NR) o = o (o ? "," : "") (s == p ? s : s "-" p); print o}'
}

declare -a BUILT=()
built() { BUILT+=("$1"); }

# base IMG NUM LABEL: the common filesystem, built in $WORK/IMG
#   /etc 12, /etc/hostname 13, /etc/passwd 14 (0644), /etc/shadow 15 (0600
#   root, 1272 bytes, 2 blocks), /home 16, /home/user 17 (0750 uid 1000),
#   /home/user/notes.txt 18 (0644 uid 1000, EMPTY: no blocks, so a forged
#   extent leaks nothing), /home/user/todo.txt 19 (0644 uid 1000, 1 block)
base() {
    local img=$WORK/$1 n=$2 label=$3 s=$WORK/src-$2 p
    rm -rf "$s"
    mkdir -p "$s/etc" "$s/home/user"
    printf 'root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000:User:/home/user:/bin/bash\n' >"$s/etc/passwd"
    {
        printf 'root:$6$c2FsdHNhbHQ$FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE0:19675:0:99999:7:::\n'
        for p in daemon bin sys sync games man lp mail news uucp proxy www-data backup list irc; do
            printf '%s:*:19675:0:99999:7:::\n' "$p"
        done
        printf 'user:$6$dXNlcnNhbHQ$NOTAREALHASHNOTAREALHASHNOTAREALHASHNOTAREALHASH0:19675:0:99999:7:::\n'
    } >"$s/etc/shadow"
    fill "$WORK/pad" 700 '# padding'
    cat "$WORK/pad" >>"$s/etc/shadow"                 # 1409 bytes: 2 blocks
    printf 'journal-sample\n' >"$s/etc/hostname"
    : >"$s/home/user/notes.txt"
    fill "$s/home/user/todo.txt" 600 todo
    chmod 0755 "$s" "$s/etc" "$s/home"
    chmod 0750 "$s/home/user"
    chmod 0644 "$s/etc/passwd" "$s/etc/hostname" "$s/home/user/notes.txt" "$s/home/user/todo.txt"
    chmod 0600 "$s/etc/shadow"
    find "$s" -depth -exec touch -h -d "@$TS" {} +
    rm -f "$img"
    mke2fs -q -F -t ext4 -b 1024 -N 64 -J size=1 \
        -U "$(printf '1a9e5000-0000-4000-8000-%012d' "$n")" \
        -E "hash_seed=5eed5eed-0000-4000-8000-$(printf '%012d' "$n"),root_owner=0:0" \
        -L "$label" -d "$s" "$img" 3072 >/dev/null
    # mke2fs -d copies atime/ctime and owners from the host: pin them
    {
        while IFS= read -r p; do
            p=/${p#"$s"}
            p=${p//\/\//\/}
            printf 'sif "%s" uid 0\nsif "%s" gid 0\n' "$p" "$p"
            printf 'sif "%s" %s @%s\n' "$p" atime "$TS" "$p" mtime "$TS" "$p" ctime "$TS" "$p" crtime "$TS"
            printf 'sif "%s" %s 0\n' "$p" atime_extra "$p" mtime_extra "$p" ctime_extra "$p" crtime_extra
        done < <(find "$s" | LC_ALL=C sort; echo "$s/lost+found")
        for p in /home/user /home/user/notes.txt /home/user/todo.txt; do
            printf 'sif "%s" uid 1000\nsif "%s" gid 1000\n' "$p" "$p"
        done
    } | dbg "$img"
    need "$(ino "$img" /etc/shadow) == 15" "$1: /etc/shadow is inode 15"
    need "$(ino "$img" /home/user/notes.txt) == 18" "$1: notes.txt is inode 18"
    need "$(ino "$img" /home/user/todo.txt) == 19" "$1: todo.txt is inode 19"
    read -r SH_START SH_LEN < <(extent1 "$img" /etc/shadow)
    need "SH_LEN == 2" "$1: /etc/shadow is one 2-block extent"
    SH_SIZE=$(q "$img" "stat /etc/shadow" | sed -n 's/.*Project: .*Size: \([0-9]*\).*/\1/p')
    ITB=$(iblock "$img" 18)           # inode-table block of notes.txt and todo.txt
    need "$(iblock "$img" 19) == ITB" "$1: notes.txt and todo.txt share an inode-table block"
}

# forge_trap IMG OUTFILE: notes.txt (18) gets one extent onto /etc/shadow's
# blocks, shadow's size and i_blocks (header magic 0xF30A, 1 entry, max 4,
# depth 0; then ee_block 0, ee_len, ee_start_lo)
forge_trap() {
    printf 'sif <18> block[%s] %s\n' 0 $(((1 << 16) | 0xF30A)) 1 4 2 0 3 0 4 "$SH_LEN" 5 "$SH_START" |
        { cat; printf 'sif <18> size %s\nsif <18> blocks %s\n' "$SH_SIZE" $((SH_LEN * 2)); } |
        forge "$1" "$2" 18
}

# forge_mtime IMG OUTFILE: todo.txt (19) gets mtime TS+3600 -- a harmless change
forge_mtime() {
    printf 'sif <19> mtime @%s\n' $((TS + 3600)) | forge "$1" "$2" 19
}

# finish IMG [ACTION...]: fix the commit blocks (and apply the fix_commits
# ACTIONs), copy the image into sample-images/
finish() {
    local img=$1
    shift
    fix_commits "$WORK/$img" "$@"
    cp "$WORK/$img" "$OUT/$img"
    built "$img"
}

# ------------------------------------------------------------------ images --

# a. journal-harmless.img: two committed transactions.  The first re-logs the
#    current block bitmap and inode bitmap (identical copies: replay changes
#    nothing), the second the inode-table block of /home/user/todo.txt with
#    only its mtime moved one hour on.
build_harmless() {
    local img=journal-harmless.img bb ib
    base $img 101 jnl-harmless
    bb=$(dumpe2fs "$WORK/$img" 2>/dev/null | sed -n 's/.*Block bitmap at \([0-9]*\).*/\1/p' | head -1)
    ib=$(dumpe2fs "$WORK/$img" 2>/dev/null | sed -n 's/.*Inode bitmap at \([0-9]*\).*/\1/p' | head -1)
    getblk "$WORK/$img" "$bb" "$WORK/bb"
    getblk "$WORK/$img" "$ib" "$WORK/ib"
    cat "$WORK/bb" "$WORK/ib" >"$WORK/t1"
    forge_mtime "$WORK/$img" "$WORK/t2"
    printf 'jo\njw -b %s,%s %s\njw -b %s %s\njc\n' "$bb" "$ib" "$WORK/t1" "$ITB" "$WORK/t2" | dbg "$WORK/$img"
    finish $img
}

# b. journal-crosslink-trap.img: one committed transaction holding a forged
#    copy of the inode-table block of inodes 17-20: in it, /home/user/notes.txt
#    (18) has an extent onto /etc/shadow's (15) two data blocks.
build_trap() {
    local img=journal-crosslink-trap.img
    base $img 102 jnl-trap
    forge_trap "$WORK/$img" "$WORK/t1"
    printf 'jo\njw -b %s %s\njc\n' "$ITB" "$WORK/t1" | dbg "$WORK/$img"
    finish $img
}

# c. journal-revoked.img: the forged block of (b) in a committed transaction,
#    then a second committed transaction that revokes that block.
build_revoked() {
    local img=journal-revoked.img
    base $img 103 jnl-revoked
    forge_trap "$WORK/$img" "$WORK/t1"
    printf 'jo\njw -b %s %s\njw -r %s\njc\n' "$ITB" "$WORK/t1" "$ITB" | dbg "$WORK/$img"
    finish $img
}

# d. journal-uncommitted.img: a committed harmless transaction (todo.txt's
#    mtime), then the forged block of (b) in a transaction with no commit block.
build_uncommitted() {
    local img=journal-uncommitted.img
    base $img 104 jnl-uncommit
    forge_mtime "$WORK/$img" "$WORK/t1"
    forge_trap "$WORK/$img" "$WORK/t2"
    printf 'jo\njw -b %s %s\njw -c -b %s %s\njc\n' "$ITB" "$WORK/t1" "$ITB" "$WORK/t2" | dbg "$WORK/$img"
    finish $img
}

# e. journal-bad-checksum.img: checksums v3; the harmless mtime transaction,
#    then the forged block of (b) in a transaction whose commit block checksum
#    is wrong.
build_badsum() {
    local img=journal-bad-checksum.img
    base $img 105 jnl-badsum
    forge_mtime "$WORK/$img" "$WORK/t1"
    forge_trap "$WORK/$img" "$WORK/t2"
    printf 'jo -c\njw -b %s %s\njw -b %s %s\njc\n' "$ITB" "$WORK/t1" "$ITB" "$WORK/t2" | dbg "$WORK/$img"
    finish $img badcommit:$((JSEQ0 + 1))
}

# e'. journal-bad-tag-checksum.img: as (e), but the commit block is good and
#    the tag checksum of the forged data block is wrong.
build_badtag() {
    local img=journal-bad-tag-checksum.img
    base $img 106 jnl-badtag
    forge_mtime "$WORK/$img" "$WORK/t1"
    forge_trap "$WORK/$img" "$WORK/t2"
    printf 'jo -c\njw -b %s %s\njw -b %s %s\njc\n' "$ITB" "$WORK/t1" "$ITB" "$WORK/t2" | dbg "$WORK/$img"
    finish $img badtag:$((JSEQ0 + 1))
}

# f. journal-onto-journal.img: one committed transaction whose only tag
#    targets the journal's own last block (logical 1023 of inode 8).
build_ontojnl() {
    local img=journal-onto-journal.img jl
    base $img 107 jnl-onto-jnl
    jl=$(jblocks "$WORK/$img" | awk '{print $NF}')
    fill "$WORK/t1" 1024 'logged by a transaction, replayed onto the journal'
    printf 'jo\njw -b %s %s\njc\n' "$jl" "$WORK/t1" | dbg "$WORK/$img"
    finish $img
}

# ------------------------------------------------------------------- main --
JSEQ0=1            # the first transaction debugfs writes after mke2fs (checked below)
ALL="harmless trap revoked uncommitted badsum badtag ontojnl"
for b in ${ONLY:-$ALL}; do "build_$b"; done

echo
echo "sha256 of the images in $OUT:"
for img in "${BUILT[@]}"; do
    sha256sum "$img"
done

# Every image: the first transaction must have the sequence number assumed above.
for img in "${BUILT[@]}"; do
    q "$img" logdump | grep -q "^Found expected sequence $JSEQ0, " ||
        { echo "build-journal.sh: $img: first transaction is not sequence $JSEQ0" >&2; exit 1; }
done

if ((VERIFY)); then
    # e2fsck -n never writes; jr runs on a copy.  Compare with journal.tsv.
    echo
    fail=0
    for img in "${BUILT[@]}"; do
        rc=0; rrc=0
        e2fsck -fn "$img" >/dev/null 2>&1 || rc=$?
        replay "$img" "$WORK/replayed.img" >/dev/null
        e2fsck -fn "$WORK/replayed.img" >/dev/null 2>&1 || rrc=$?
        ch=$(changed "$img" "$WORK/replayed.img")
        row=$(awk -F'\t' -v i="$img" '$1 == i' journal.tsv 2>/dev/null || true)
        status=ok
        if [[ -n $row ]]; then
            [[ $(cut -f2 <<<"$row") == "$rc" && $(cut -f3 <<<"$row") == "$rrc" &&
                $(cut -f4 <<<"$row") == "$ch" ]] ||
                { status="MISMATCH (expected $(cut -f2-4 <<<"$row" | tr '\t' ' '))"; fail=1; }
        fi
        # what replay did to the two inodes the transactions forge
        notes=$(q "$WORK/replayed.img" "blocks <18>" | xargs)
        mt=$(q "$WORK/replayed.img" "stat <19>" | sed -n 's/^ *mtime: 0x\([0-9a-f]*\).*/\1/p')
        want_notes=; want_mt=$(printf '%x' "$TS")
        case $img in
        journal-crosslink-trap.img) want_notes="$(q "$img" "blocks /etc/shadow" | xargs)" ;;
        journal-revoked.img | journal-onto-journal.img) ;;
        *) want_mt=$(printf '%x' $((TS + 3600))) ;;
        esac
        [[ $notes == "$want_notes" && $mt == "$want_mt" ]] ||
            { status="$status; after jr notes.txt maps '$notes' (want '$want_notes'), todo.txt mtime 0x$mt (want 0x$want_mt)"; fail=1; }
        printf '%-30s e2fsck -fn %s, after jr %s, jr changes %s; notes.txt -> [%s]  %s\n' \
            "$img" "$rc" "$rrc" "$ch" "$notes" "$status"
    done
    exit $fail
fi
