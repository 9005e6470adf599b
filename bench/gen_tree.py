#!/usr/bin/env python3
"""Deterministic source trees for the imginspect benchmark images.

    python3 bench/gen_tree.py PROFILE DEST [--manifest FILE]

PROFILE is one of:

  rootfs    ~22k inodes: a rootfs-like tree (dirs a few levels deep, mostly
            small files, ~4% of 100 KiB - 2 MiB, some symlinks)
  subtree   ~3.3k inodes: the same shape, smaller (for the 2 TiB image)
  inodes1m  ~1,000,000 inodes: 1000 leaf dirs of ~1000 files, half empty,
            half 1 - 3000 bytes (one block), plus /frag with 200 files of
            20 - 2000 extents
  frag      5,000 files of 6 - 5,000 extents each (log-uniform, skewed so
            that ~8% have > 1,360 extents and need a depth-2 extent tree)

A file "with N extents" is written sparse: one non-zero 4 KiB block at every
other logical block (0, 2, 4, ...).  mke2fs -d copies files with
SEEK_DATA/SEEK_HOLE and keeps the holes, so every data block becomes its own
extent (and only N blocks are written, not 2N).  File data is never all-zero
(mke2fs -d would turn zero blocks into holes).

Everything comes from random.Random(SEED): names, shapes, sizes, contents.
Every path gets atime = mtime = 1700000000 (os.utime); mke2fs -d copies
those.  (It also copies the source's ctime, which no unprivileged call can
set; E2FSPROGS_FAKE_TIME pins the filesystem's own times.)

DEST must not exist.  --manifest writes one line per regular file:
"<path inside the tree>\\t<size>\\t<extents or 0>" (sorted), which
crosslink.py uses to choose files.  Standard library only.
"""

import argparse
import math
import os
import random
import sys

SEED = 20231114
TS = 1700000000
BLOCK = 4096

# 2 MiB of seeded bytes; file contents are slices of it (never all zero).
_POOL = None


def pool():
    global _POOL
    if _POOL is None:
        r = random.Random(SEED ^ 0x5EED)
        b = bytearray(r.randbytes(2 * 1024 * 1024 + BLOCK))
        for i in range(0, len(b), 512):  # guarantee no all-zero block
            b[i] = 0xA5
        _POOL = bytes(b)
    return _POOL


def write_file(path, size, rng):
    p = pool()
    with open(path, "wb") as f:
        if size:
            off = rng.randrange(0, len(p) - min(size, len(p)) + 1)
            left = size
            while left:
                n = min(left, len(p) - off)
                f.write(p[off:off + n])
                left -= n
                off = 0


def write_fragmented(path, extents, rng):
    """extents one-block chunks at logical blocks 0, 2, 4, ... (holes between)."""
    p = pool()
    with open(path, "wb") as f:
        for i in range(extents):
            off = rng.randrange(0, 2 * 1024 * 1024 // BLOCK) * BLOCK
            f.seek(2 * i * BLOCK)
            f.write(p[off:off + BLOCK])
        f.truncate((2 * extents - 1) * BLOCK)
    return extents


def log_uniform(rng, lo, hi):
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


class Tree:
    def __init__(self, dest):
        self.dest = dest
        self.dirs = []        # relative paths, creation order
        self.manifest = []    # (relpath, size, extents)
        self.count = 0        # inodes created (dirs + files + symlinks)

    def mkdir(self, rel):
        os.mkdir(os.path.join(self.dest, rel))
        os.chmod(os.path.join(self.dest, rel), 0o755)
        self.dirs.append(rel)
        self.count += 1

    def file(self, rel, size, rng, mode=0o644):
        path = os.path.join(self.dest, rel)
        write_file(path, size, rng)
        os.chmod(path, mode)
        self.manifest.append((rel, size, 0))
        self.count += 1

    def fragfile(self, rel, extents, rng):
        path = os.path.join(self.dest, rel)
        write_fragmented(path, extents, rng)
        os.chmod(path, 0o644)
        self.manifest.append((rel, (2 * extents - 1) * BLOCK, extents))
        self.count += 1

    def symlink(self, rel, target):
        os.symlink(target, os.path.join(self.dest, rel))
        self.count += 1

    def stamp(self):
        # deepest first, so a directory's mtime is set after its entries
        for root, dirs, files in os.walk(self.dest, topdown=False):
            for n in files + dirs:
                os.utime(os.path.join(root, n), (TS, TS), follow_symlinks=False)
        os.utime(self.dest, (TS, TS))


ROOT_DIRS = ["bin", "sbin", "etc", "lib", "opt", "srv", "root",
             "usr", "usr/bin", "usr/sbin", "usr/lib", "usr/include",
             "usr/share", "usr/share/doc", "usr/share/man", "usr/share/locale",
             "var", "var/lib", "var/log", "var/cache"]
WORDS = ["core", "util", "net", "gtk", "qt", "py", "perl", "ssl", "x11", "font",
         "icon", "theme", "data", "conf", "locale", "doc", "man", "lib", "mod", "db"]


def rootfs_size(rng):
    r = rng.random()
    if r < 0.04:                       # empty
        return 0
    if r < 0.08:                       # big: 100 KiB - 2 MiB, log-uniform
        return log_uniform(rng, 100 * 1024, 2 * 1024 * 1024)
    # small: log-normal, median ~2 KiB, capped at 96 KiB
    return min(int(math.exp(rng.gauss(math.log(2048), 1.3))), 96 * 1024)


def gen_rootfs(t, rng, n_dirs, n_entries):
    for d in ROOT_DIRS:
        t.mkdir(d)
    base = len(t.dirs)
    depth = {d: d.count("/") + 1 for d in t.dirs}
    # more directories, each under a random existing one of depth < 6
    while len(t.dirs) < n_dirs:
        parent = t.dirs[rng.randrange(len(t.dirs))]
        if depth[parent] >= 6:
            continue
        name = "%s-%s%d" % (rng.choice(WORDS), rng.choice(WORDS), len(t.dirs))
        rel = parent + "/" + name
        t.mkdir(rel)
        depth[rel] = depth[parent] + 1
    files = []
    i = 0
    while t.count < n_entries:
        d = t.dirs[rng.randrange(len(t.dirs))]
        rel = "%s/%s%d.%s" % (d, rng.choice(WORDS), i, rng.choice(["so", "txt", "py", "h", "gz", "conf", "mo", "png"]))
        i += 1
        if files and rng.random() < 0.03:      # ~3% symlinks to earlier files
            target = files[rng.randrange(len(files))]
            t.symlink(rel, os.path.relpath(target, os.path.dirname(rel)) if rng.random() < 0.5 else "/" + target)
            continue
        mode = 0o755 if d.endswith("bin") else 0o644
        t.file(rel, rootfs_size(rng), rng, mode)
        files.append(rel)
    del base


def gen_inodes1m(t, rng):
    t.mkdir("frag")
    for i in range(200):
        t.fragfile("frag/f%03d.bin" % i, log_uniform(rng, 20, 2000), rng)
    # 40 x 25 leaf directories
    leaves = []
    for a in range(40):
        t.mkdir("d%02d" % a)
        for b in range(25):
            rel = "d%02d/s%02d" % (a, b)
            t.mkdir(rel)
            leaves.append(rel)
    total = 1_000_000 - 11  # inodes 1-11 (reserved, /, lost+found) count as used
    per = (total - t.count) // len(leaves)
    extra = (total - t.count) - per * len(leaves)
    for k, d in enumerate(leaves):
        for j in range(per + (1 if k < extra else 0)):
            size = 0 if rng.random() < 0.5 else rng.randint(1, 3000)
            t.file("%s/%05d" % (d, j), size, rng)


def frag_extents(rng):
    r = rng.random()
    if r < 0.75:
        return log_uniform(rng, 6, 340)        # depth 1, one leaf
    if r < 0.92:
        return log_uniform(rng, 341, 1360)     # depth 1, 2 - 4 leaves
    return log_uniform(rng, 1361, 5000)        # depth 2


def gen_frag(t, rng):
    for a in range(50):
        t.mkdir("g%02d" % a)
    for i in range(5000):
        t.fragfile("g%02d/f%04d.bin" % (i % 50, i), frag_extents(rng), rng)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("profile", choices=["rootfs", "subtree", "inodes1m", "frag"])
    ap.add_argument("dest")
    ap.add_argument("--manifest")
    a = ap.parse_args()
    os.umask(0o022)
    os.mkdir(a.dest)
    os.chmod(a.dest, 0o755)
    t = Tree(a.dest)
    rng = random.Random("%d-%s" % (SEED, a.profile))
    if a.profile == "rootfs":
        gen_rootfs(t, rng, 1500, 22000)
    elif a.profile == "subtree":
        gen_rootfs(t, rng, 200, 3300)
    elif a.profile == "inodes1m":
        gen_inodes1m(t, rng)
    else:
        gen_frag(t, rng)
    t.stamp()
    if a.manifest:
        with open(a.manifest, "w") as m:
            for rel, size, ext in sorted(t.manifest):
                m.write("/%s\t%d\t%d\n" % (rel, size, ext))
    data = sum(s if e == 0 else e * BLOCK for _, s, e in t.manifest)
    ext = sum(e for _, _, e in t.manifest)
    print("gen_tree %s: %d inodes, %d regular files, %.1f MiB of data, %d extents in fragmented files"
          % (a.profile, t.count, len(t.manifest), data / 2**20, ext), file=sys.stderr)


if __name__ == "__main__":
    main()
