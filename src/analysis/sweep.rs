//! The ownership sweep: given claims as runs, find every maximal run of blocks
//! whose set of claimers is the same and holds two or more claims.
//!
//! Cost is O(c log c + s·k) for c claims, s shared segments and k ≤
//! [`MAX_LISTED`] claimers listed per segment: it follows the number of runs,
//! never the number of blocks, and a forged pile-up of thousands of claims on
//! one range cannot make it quadratic.

use std::collections::BTreeSet;

use crate::model::BlockNo;

/// Claims listed per shared segment. More than this many owners of one block
/// is an attack, not a filesystem; the segment still counts all of them.
pub const MAX_LISTED: usize = 64;

/// A half-open run `[start, end)` claimed by the claim with index `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: BlockNo,
    pub end: BlockNo,
    pub id: usize,
}

/// A run of blocks `[start, end)` claimed by `total` claims and nothing else;
/// `ids` lists them (sorted), or the first [`MAX_LISTED`] of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    pub start: BlockNo,
    pub end: BlockNo,
    pub ids: Vec<usize>,
    pub total: usize,
}

/// Every segment where two or more spans overlap, in block order. Adjacent
/// segments are never merged here (their claimer sets differ by construction).
pub fn overlaps(spans: &[Span]) -> Vec<Shared> {
    // Events: (position, kind, id) with ends (0) before starts (1) at one position,
    // so that touching runs do not overlap.
    let mut events: Vec<(BlockNo, u8, usize)> = Vec::with_capacity(spans.len() * 2);
    for s in spans.iter().filter(|s| s.start < s.end) {
        events.push((s.start, 1, s.id));
        events.push((s.end, 0, s.id));
    }
    events.sort_unstable();
    // The active claims, ordered, so that the listed ones are the lowest ids
    // (deterministic) and taking them costs O(MAX_LISTED), not O(active).
    let mut active: BTreeSet<usize> = BTreeSet::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let Some(&(pos, _, _)) = events.get(i) else {
            break;
        };
        while let Some(&(p, kind, id)) = events.get(i) {
            if p != pos {
                break;
            }
            if kind == 1 {
                active.insert(id);
            } else {
                active.remove(&id);
            }
            i += 1;
        }
        if active.len() >= 2
            && let Some(&(next, _, _)) = events.get(i)
        {
            let ids: Vec<usize> = active.iter().take(MAX_LISTED).copied().collect();
            out.push(Shared {
                start: pos,
                end: next,
                ids,
                total: active.len(),
            });
        }
    }
    out
}

/// The same as [`overlaps`], for spans sorted by start: the spans are split
/// into clusters that overlap transitively, and only clusters of two or more
/// are swept. On a healthy filesystem every cluster is a single span, so the
/// cost is one linear pass after the sort.
pub fn overlaps_sorted(spans: &[Span]) -> Vec<Shared> {
    let mut out = Vec::new();
    let mut first = 0;
    let mut cluster_end: BlockNo = 0;
    for (i, s) in spans.iter().enumerate() {
        if i > first && s.start >= cluster_end {
            if i - first > 1 {
                out.extend(overlaps(spans.get(first..i).unwrap_or(&[])));
            }
            first = i;
            cluster_end = s.end;
        } else {
            cluster_end = cluster_end.max(s.end);
        }
    }
    if spans.len() - first > 1 {
        out.extend(overlaps(spans.get(first..).unwrap_or(&[])));
    }
    out
}

/// Parts of `[start, end)` not covered by `covered` (sorted, disjoint runs).
pub fn uncovered(
    start: BlockNo,
    end: BlockNo,
    covered: &[(BlockNo, u64)],
) -> Vec<(BlockNo, BlockNo)> {
    let mut out = Vec::new();
    // First covered run that ends after `start`.
    let mut k = covered.partition_point(|&(s, l)| s.saturating_add(l) <= start);
    let mut pos = start;
    while pos < end {
        match covered.get(k) {
            Some(&(s, l)) if s < end => {
                if s > pos {
                    out.push((pos, s));
                }
                pos = pos.max(s.saturating_add(l));
                k += 1;
            }
            _ => {
                out.push((pos, end));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u64, end: u64, id: usize) -> Span {
        Span { start, end, id }
    }

    #[test]
    fn three_partial_overlaps_give_four_segments() {
        // A 0..8, B 4..12, C 6..14
        let got = overlaps(&[span(0, 8, 0), span(4, 12, 1), span(6, 14, 2)]);
        let summary: Vec<_> = got
            .iter()
            .map(|s| (s.start, s.end, s.ids.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (4, 6, vec![0, 1]),
                (6, 8, vec![0, 1, 2]),
                (8, 12, vec![1, 2]),
            ]
        );
    }

    #[test]
    fn touching_runs_do_not_overlap() {
        assert!(overlaps(&[span(0, 4, 0), span(4, 8, 1)]).is_empty());
        assert!(overlaps(&[span(0, 0, 0), span(0, 8, 1)]).is_empty());
    }

    #[test]
    fn identical_runs_overlap_whole() {
        let got = overlaps(&[span(10, 20, 0), span(10, 20, 1)]);
        assert_eq!(
            got,
            vec![Shared {
                start: 10,
                end: 20,
                ids: vec![0, 1],
                total: 2
            }]
        );
    }

    #[test]
    fn huge_runs_cost_nothing_extra() {
        let got = overlaps(&[span(0, u64::MAX, 0), span(1 << 40, (1 << 40) + 1, 1)]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].end - got[0].start, 1);
    }

    #[test]
    fn a_pile_up_of_claims_is_listed_up_to_the_cap() {
        // 5000 claims staggered by one block over the same range.
        let spans: Vec<Span> = (0..5000).map(|i| span(i, i + 5000, i as usize)).collect();
        let got = overlaps(&spans);
        assert_eq!(got.len(), 9997);
        assert!(got.iter().all(|s| s.ids.len() <= MAX_LISTED));
        assert_eq!(got.iter().map(|s| s.total).max(), Some(5000));
    }

    #[test]
    fn clustered_sweep_equals_the_plain_one() {
        let mut spans = vec![
            span(0, 8, 0),
            span(4, 12, 1),
            span(6, 14, 2),
            span(20, 21, 3),
            span(30, 40, 4),
            span(30, 40, 5),
            span(50, 60, 6),
            span(59, 61, 7),
            span(100, 101, 8),
        ];
        spans.sort_by_key(|s| s.start);
        assert_eq!(overlaps_sorted(&spans), overlaps(&spans));
        assert!(overlaps_sorted(&[span(0, 1, 0)]).is_empty());
        assert!(overlaps_sorted(&[]).is_empty());
    }

    #[test]
    fn uncovered_parts() {
        let cov = [(2, 2), (6, 1)];
        assert_eq!(uncovered(0, 10, &cov), vec![(0, 2), (4, 6), (7, 10)]);
        assert_eq!(uncovered(2, 4, &cov), vec![]);
        assert_eq!(uncovered(3, 7, &cov), vec![(4, 6)]);
        assert_eq!(uncovered(0, 5, &[]), vec![(0, 5)]);
    }
}
