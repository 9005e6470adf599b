#!/usr/bin/env bash
# Benchmark: `imginspect scan --format json` against `e2fsck -fn` on the same
# images, plus `imginspect block` against Sleuth Kit's `ifind -d`.
#
#   bash bench/scan-vs-e2fsck.sh [WORKDIR] [IMAGE...]   # full run
#   bash bench/scan-vs-e2fsck.sh --smoke                # CI smoke test
#
# Full run: images come from bench/make-images.sh (run for any missing one);
# IMAGE is a name (small, small-xlink, inodes-1m, inodes-1m-xlink,
# fragmented-32g, sparse-2t) or a path; default all six.  WORKDIR defaults to
# /tmp/imginspect-bench.  For each image: one unmeasured warm-up of each tool
# (warm page cache; also checks the exit statuses), then RUNS (default 7)
# paired runs -- imginspect and e2fsck in the same loop, the order alternating
# -- each under GNU time (`/usr/bin/time -f '%e %M'`: wall seconds, peak RSS).
# Then one extra run of each with an LD_PRELOAD allocator counter
# (bench/malloc-peak.c) for the peak heap: imginspect maps the image, so its
# RSS includes the file pages of the image it touched, the heap does not.
# Prints a markdown table of medians.  No timing is asserted.
#
# --smoke: nothing is built but the debug binary (cargo build); one run of each
# tool on sample-images/clean-ext4.img and sample-images/shadow-crosslink.img;
# fails (exit 1) only if a tool fails to run: imginspect or e2fsck exiting
# other than 0 or 4.  Works without GNU time (then RSS shows "-").
#
# Environment: RUNS (default 7), IMGINSPECT (a binary to use instead of
# building one), NO_BUILD=1 (do not run make-images.sh), NO_HEAP=1,
# GNU_TIME (path of GNU time, default /usr/bin/time).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$PATH:/usr/sbin:/sbin" LC_ALL=C

SMOKE=0
if [[ ${1:-} == --smoke ]]; then SMOKE=1; shift; fi

if ((SMOKE)); then
    runs=1
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    images=("$here/sample-images/clean-ext4.img" "$here/sample-images/shadow-crosslink.img")
else
    runs=${RUNS:-7}
    work=${1:-/tmp/imginspect-bench}
    shift || true
    mkdir -p "$work"
    names=("$@")
    ((${#names[@]})) || names=(small small-xlink inodes-1m inodes-1m-xlink fragmented-32g sparse-2t)
    images=() missing=()
    for n in "${names[@]}"; do
        if [[ $n == */* || $n == *.img ]]; then images+=("$n"); continue; fi
        images+=("$work/$n.img")
        [[ -f $work/$n.img ]] || missing+=("$n")
    done
    if ((${#missing[@]})) && [[ ${NO_BUILD:-0} != 1 ]]; then
        ONLY="${missing[*]}" bash "$here/bench/make-images.sh" "$work" >&2
    fi
fi

for tool in e2fsck dumpe2fs; do
    command -v "$tool" >/dev/null || { echo "scan-vs-e2fsck.sh: missing $tool (e2fsprogs)" >&2; exit 1; }
done

# the binary: release for timings, debug (incremental, fast) for the smoke test
if [[ -n ${IMGINSPECT:-} ]]; then
    bin=$IMGINSPECT
elif ((SMOKE)); then
    cargo build --quiet --manifest-path "$here/Cargo.toml" --bin imginspect
    bin=$here/target/debug/imginspect
else
    cargo build --release --quiet --manifest-path "$here/Cargo.toml" --bin imginspect
    bin=$here/target/release/imginspect
fi

# GNU time: needed for the full run; the smoke test falls back to bash timing
gnutime=${GNU_TIME:-/usr/bin/time}
if ! "$gnutime" -f '%e' true >/dev/null 2>&1; then
    if ((!SMOKE)) && command -v apt-get >/dev/null; then
        echo "installing GNU time..." >&2
        apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq time >/dev/null 2>&1; } || true
    fi
    "$gnutime" -f '%e' true >/dev/null 2>&1 || gnutime=
    [[ -n $gnutime ]] || ((SMOKE)) || { echo "scan-vs-e2fsck.sh: GNU time (/usr/bin/time) is needed" >&2; exit 1; }
fi

# heap counter (optional)
heapso=
if ((!SMOKE)) && [[ ${NO_HEAP:-0} != 1 ]] && command -v cc >/dev/null; then
    cc -O2 -shared -fPIC -o "$work/malloc-peak.so" "$here/bench/malloc-peak.c" 2>/dev/null &&
        heapso=$work/malloc-peak.so
fi

# timed OUT CMD...: run CMD (stdout to OUT, stderr dropped); sets WALL (s),
# RSS (KiB, "-" without GNU time) and RC
timed() {
    local out=$1 t0 line
    shift
    RC=0
    if [[ -n $gnutime ]]; then
        "$gnutime" -o "$work/time.out" -f '%e %M' "$@" >"$out" 2>/dev/null || RC=$?
        line=$(tail -1 "$work/time.out")
        WALL=${line% *} RSS=${line#* }
    else
        t0=$(date +%s.%N)
        "$@" >"$out" 2>/dev/null || RC=$?
        WALL=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') RSS=-
    fi
}

# peakheap CMD... -> peak heap in KiB ("-" when not measured)
peakheap() {
    if [[ -z $heapso ]]; then echo -; return; fi
    rm -f "$work/heap.out"
    MALLOC_PEAK_OUT=$work/heap.out LD_PRELOAD=$heapso "$@" >/dev/null 2>&1 || true
    if [[ -s $work/heap.out ]]; then echo $(( $(cat "$work/heap.out") / 1024 )); else echo -; fi
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { sort -g | tail -1; }
mib() { [[ $1 == - ]] && echo - || awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
sbfield() { dumpe2fs -h "$1" 2>/dev/null | sed -n "s/^$2: *//p"; }
ok_rc() { [[ $1 == 0 || $1 == 4 ]]; }

# unique blocks e2fsck's pass 1B lists ("Multiply-claimed block(s) in inode N: 10 12--14")
fsck_dups() {
    sed -n 's/^Multiply-claimed block(s) in inode [0-9]*: *//p' "$1" | tr ' ' '\n' |
        awk -F'--' 'NF == 2 { for (b = $1; b <= $2; b++) s[b] } NF == 1 && $1 != "" { s[$1] } END { print length(s) }'
}
# summary.crosslinked_blocks from imginspect's JSON
our_dups() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["crosslinked_blocks"])' "$1" 2>/dev/null || echo '?'; }

failed=0
rows=()
for img in "${images[@]}"; do
    name=$(basename "$img" .img)
    if [[ ! -f $img ]]; then
        echo "scan-vs-e2fsck.sh: $img: no such image" >&2; failed=1; continue
    fi
    ic=$(sbfield "$img" 'Inode count'); fi=$(sbfield "$img" 'Free inodes')
    inodes="$((ic - fi)) / $ic"
    ours=() theirs=() ours_rss=() theirs_rss=() bad=
    # warm-up (unmeasured in the full run; the measured run in the smoke test)
    for i in $(seq 1 $((SMOKE ? 1 : runs + 1))); do
        for tool in $( ((i % 2)) && echo "ours theirs" || echo "theirs ours"); do
            if [[ $tool == ours ]]; then
                timed "$work/ours.json" "$bin" scan --format json "$img"
                ok_rc "$RC" || bad+=" imginspect exit $RC"
                our_rc=$RC
                ((i == 1 && !SMOKE)) && continue
                ours+=("$WALL") ours_rss+=("$RSS")
            else
                timed "$work/theirs.txt" e2fsck -fn "$img"
                ok_rc "$RC" || bad+=" e2fsck exit $RC"
                their_rc=$RC
                ((i == 1 && !SMOKE)) && continue
                theirs+=("$WALL") theirs_rss+=("$RSS")
            fi
        done
        [[ -n $bad ]] && break
    done
    if [[ -n $bad ]]; then
        echo "scan-vs-e2fsck.sh: $name:$bad" >&2
        failed=1
        rows+=("| $name | $inodes | FAILED:$bad | | | | | | | | |")
        continue
    fi
    dups="$(our_dups "$work/ours.json") / $(fsck_dups "$work/theirs.txt")"
    ow=$(printf '%s\n' "${ours[@]}" | median); tw=$(printf '%s\n' "${theirs[@]}" | median)
    orss=$(printf '%s\n' "${ours_rss[@]}" | maxof); trss=$(printf '%s\n' "${theirs_rss[@]}" | maxof)
    if ((SMOKE)); then oh=- th=-; else
        oh=$(peakheap "$bin" scan --format json "$img"); th=$(peakheap e2fsck -fn "$img")
    fi
    rows+=("| $name | $inodes | $ow | $tw | $(ratio "$ow" "$tw") | $(mib "$orss") | $(mib "$trss") | $(mib "$oh") | $(mib "$th") | $our_rc / $their_rc | $dups |")
    echo "  $name: imginspect ${ours[*]} s; e2fsck ${theirs[*]} s" >&2
done

echo
echo "$("$bin" --version 2>/dev/null | head -1 || echo 'imginspect ?') vs $(e2fsck -V 2>&1 | head -1); RUNS=$runs, warm cache, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| image | inodes used / total | imginspect s (median) | e2fsck -fn s (median) | ratio ours/theirs | imginspect peak RSS | e2fsck peak RSS | imginspect peak heap | e2fsck peak heap | exit ours / e2fsck | shared blocks ours / e2fsck 1B |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Wall: median of the runs (GNU time %e, 10 ms resolution). Peak RSS: the largest GNU time %M of the runs;"
echo "imginspect's includes the pages of the memory-mapped image it touched. Peak heap: most bytes live in malloc"
echo "at once (malloc_usable_size, LD_PRELOAD bench/malloc-peak.c, one extra run; address space asked for, so it"
echo "can exceed RSS when large allocations are not all touched). Shared blocks: imginspect's"
echo "summary.crosslinked_blocks / distinct blocks in e2fsck's pass 1B list."

# imginspect block vs ifind -d, one data block of the 1M-inode image
if ((!SMOKE)); then
    img=$work/inodes-1m.img
    man=$work/inodes1m.manifest
    if [[ -f $img && -f $man ]] && command -v ifind >/dev/null; then
        # the last one-block file (highest inode: worst case for a linear inode walk)
        path=$(awk -F'\t' '$2 > 0 && $3 == 0 { p = $1 } END { print p }' "$man")
        blk=$(debugfs -R "bmap $path 0" "$img" 2>/dev/null)
        ino=$(debugfs -R "stat $path" "$img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
        bo=() bt=() brss_o=() brss_t=() bad=
        for i in $(seq 0 "$runs"); do   # run 0 = warm-up
            for tool in $( ((i % 2)) && echo "theirs ours" || echo "ours theirs"); do
                if [[ $tool == ours ]]; then
                    timed "$work/block.out" "$bin" block "$img" "$blk"
                    [[ $RC == 0 ]] || bad+=" imginspect block exit $RC"
                    ((i)) && bo+=("$WALL") brss_o+=("$RSS")
                else
                    timed "$work/ifind.out" ifind -d "$blk" "$img"
                    [[ $RC == 0 ]] || bad+=" ifind exit $RC"
                    ((i)) && bt+=("$WALL") brss_t+=("$RSS")
                fi
            done
            [[ -n $bad ]] && break
        done
        echo
        echo "Block $blk (data of $path, inode $ino) on inodes-1m.img:"
        echo
        echo "| command | median s | peak RSS | answer |"
        echo "|---|---|---|---|"
        if [[ -n $bad ]]; then
            echo "| FAILED:$bad | | | |"; failed=1
        else
            ob=$(printf '%s\n' "${bo[@]}" | median); tb=$(printf '%s\n' "${bt[@]}" | median)
            # the inode numbers each tool names (imginspect: "inode N" in its text output)
            oa=$(grep -oE '\binode [0-9]+' "$work/block.out" | awk '{ print $2 }' | sort -un | paste -sd, -)
            ta=$(grep -oE '^[0-9]+' "$work/ifind.out" | sort -un | paste -sd, -)
            echo "| imginspect block IMG $blk | $ob | $(mib "$(printf '%s\n' "${brss_o[@]}" | maxof)") | inode ${oa:-?} |"
            echo "| ifind -d $blk IMG | $tb | $(mib "$(printf '%s\n' "${brss_t[@]}" | maxof)") | inode ${ta:-?} |"
            echo
            echo "ratio imginspect/ifind: $(ratio "$ob" "$tb")"
            [[ -n $oa && $oa == "$ta" && $oa == "$ino" ]] || echo "WARNING: answers differ (debugfs says inode $ino)"
        fi
    else
        echo
        echo "(block lookup skipped: needs $img, its manifest and ifind from sleuthkit)"
    fi
fi

exit $failed
