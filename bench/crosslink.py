#!/usr/bin/env python3
"""Cross-link N pairs of files in an ext4 image, in place (benchmark helper).

    python3 bench/crosslink.py IMAGE MANIFEST [PAIRS]

MANIFEST is gen_tree.py's list of regular files.  Candidates are small
(1 B - 64 KiB) non-fragmented files, drawn with a fixed seed; `debugfs -R ex`
(one batched, read-only debugfs run) keeps those mapped by ONE extent held in
the inode (depth 0).  For each pair (A, B), with len(B) <= len(A), B's first
extent is pointed at A's first physical block:

    sif B block[5] START(A)

i_block[0..2] is the extent header and i_block[3..5] the first entry
(ee_block, ee_len | ee_start_hi << 16, ee_start_lo), so block[5] is
ee_start_lo.  debugfs rewrites the inode checksum.  B's own old blocks stay
marked in use (e2fsck pass 5 reports them), and B's blocks are now also A's:
e2fsck pass 1B reports multiply-claimed blocks.  Prints one line per pair.
Standard library only.
"""

import os
import random
import re
import subprocess
import sys
import tempfile

SEED = 20231114
EXT = re.compile(r"^\s*(\d+)/\s*(\d+)\s+(\d+)/\s*(\d+)\s+(\d+)\s*-\s*(\d+)\s+(\d+)\s*(?:-\s*(\d+))?\s+(\d+)")


def debugfs(image, cmds, write=False):
    with tempfile.NamedTemporaryFile("w", suffix=".cmds", delete=False) as f:
        f.write("\n".join(cmds) + "\n")
        name = f.name
    try:
        args = ["debugfs"] + (["-w"] if write else []) + ["-f", name, image]
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors="replace", check=True)
        return r.stdout
    finally:
        os.unlink(name)


def main():
    image, manifest = sys.argv[1], sys.argv[2]
    pairs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    files = []
    with open(manifest) as m:
        for line in m:
            path, size, ext = line.rstrip("\n").split("\t")
            if ext == "0" and 1 <= int(size) <= 64 * 1024:
                files.append(path)
    rng = random.Random(SEED)
    rng.shuffle(files)
    cand = sorted(files[: pairs * 20])
    out = debugfs(image, ["ex %s" % p for p in cand])
    # split the output per command: debugfs echoes "debugfs: ex PATH"
    single = {}
    cur, rows = None, []

    def flush():
        if cur is not None and len(rows) == 1:
            lvl, depth, _, n, lstart, lend, pstart, pend, length = rows[0]
            if lvl == "0" and depth == "0" and n == "1" and lstart == "0":
                single[cur] = (int(pstart), int(length))

    for line in out.splitlines():
        if line.startswith("debugfs: ex "):
            flush()
            cur, rows = line[len("debugfs: ex "):], []
        else:
            mo = EXT.match(line)
            if mo:
                rows.append(mo.groups())
    flush()
    chosen = [p for p in cand if p in single]
    if len(chosen) < 2 * pairs:
        sys.exit("crosslink.py: only %d single-extent files among %d candidates" % (len(chosen), len(cand)))
    rng.shuffle(chosen)
    chosen = chosen[: 2 * pairs]
    cmds, report = [], []
    for i in range(pairs):
        a, b = chosen[2 * i], chosen[2 * i + 1]
        if single[b][1] > single[a][1]:
            a, b = b, a
        start, length = single[a]
        blen = single[b][1]
        cmds.append("sif %s block[5] %d" % (b, start))
        report.append("  %s now maps blocks %d-%d of %s (%d shared)" % (b, start, start + blen - 1, a, blen))
    log = debugfs(image, cmds, write=True)
    bad = [l for l in log.splitlines()
           if not l.startswith("debugfs") and re.search(r"error|invalid|not found|usage|couldn|can.t|bad ", l, re.I)]
    if bad:
        sys.exit("crosslink.py: debugfs failed:\n" + "\n".join(bad))
    print("\n".join(report))


if __name__ == "__main__":
    main()
