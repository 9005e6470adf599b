//! The algebra of sorted `(start, len)` block runs: coalesce, union, intersect,
//! subtract.

use super::*;

/// Sorted `(start, len)` runs → sorted, disjoint runs, touching ones merged.
pub fn coalesce_runs(sorted: Vec<(BlockNo, u64)>) -> Vec<(BlockNo, u64)> {
    let mut out: Vec<(BlockNo, u64)> = Vec::with_capacity(sorted.len());
    for (s, l) in sorted {
        let e = s.saturating_add(l);
        if let Some(last) = out.last_mut() {
            let last_end = last.0.saturating_add(last.1);
            if s <= last_end {
                last.1 = last_end.max(e) - last.0;
                continue;
            }
        }
        out.push((s, l));
    }
    out
}

/// Runs of blocks as `(start, len)` pairs, sorted and disjoint.
pub type RunList = Vec<(BlockNo, u64)>;

/// Sorted `(start, end)` half-open claims → their union as sorted, disjoint
/// `(start, len)` runs (touching claims merged), and the blocks claimed more
/// than once, as sorted, disjoint `(start, len)` runs. One pass after the sort.
pub fn union_and_overlaps(mut claims: Vec<(BlockNo, BlockNo)>) -> (RunList, RunList) {
    claims.sort_unstable();
    let mut union: Vec<(BlockNo, BlockNo)> = Vec::new();
    let mut twice: Vec<(BlockNo, u64)> = Vec::new();
    for (start, end) in claims.into_iter().filter(|&(s, e)| s < e) {
        if let Some(last) = union.last_mut()
            && start <= last.1
        {
            // Every block of [start, min(end, last end)) is already claimed.
            let shared_end = end.min(last.1);
            if start < shared_end {
                twice.push((start, shared_end - start));
            }
            last.1 = last.1.max(end);
            continue;
        }
        union.push((start, end));
    }
    twice.sort_unstable();
    let union = union.into_iter().map(|(s, e)| (s, e - s)).collect();
    (union, coalesce_runs(twice))
}

/// The blocks in both of two sorted, disjoint `(start, len)` run lists. A
/// linear merge.
pub fn intersect_runs(a: &[(BlockNo, u64)], b: &[(BlockNo, u64)]) -> Vec<(BlockNo, u64)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while let (Some(&(sa, la)), Some(&(sb, lb))) = (a.get(i), b.get(j)) {
        let (ea, eb) = (sa.saturating_add(la), sb.saturating_add(lb));
        let (s, e) = (sa.max(sb), ea.min(eb));
        if s < e {
            out.push((s, e - s));
        }
        if ea <= eb {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The blocks of `a` not in `b` (both sorted, disjoint `(start, len)` runs).
/// A linear merge.
pub fn subtract_runs(a: &[(BlockNo, u64)], b: &[(BlockNo, u64)]) -> Vec<(BlockNo, u64)> {
    let mut out = Vec::new();
    let mut j = 0;
    for &(start, len) in a {
        let end = start.saturating_add(len);
        let mut pos = start;
        // Skip the runs of b that end before this run of a.
        while b.get(j).is_some_and(|&(s, l)| s.saturating_add(l) <= pos) {
            j += 1;
        }
        let mut k = j;
        while let Some(&(s, l)) = b.get(k).filter(|&&(s, _)| s < end) {
            if s > pos {
                out.push((pos, s - pos));
            }
            pos = pos.max(s.saturating_add(l));
            k += 1;
        }
        if pos < end {
            out.push((pos, end - pos));
        }
    }
    out
}
