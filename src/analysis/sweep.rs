//! The ownership sweep: given claims as runs, find every maximal run of blocks
//! whose set of claimers is the same and holds two or more claims.
//!
//! Cost is O(c log c + s·k) for c claims, s shared segments and k claimers per
//! segment: it follows the number of runs, never the number of blocks.

use crate::model::BlockNo;

/// A half-open run `[start, end)` claimed by the claim with index `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: BlockNo,
    pub end: BlockNo,
    pub id: usize,
}

/// A run of blocks `[start, end)` claimed by every claim in `ids` (sorted), and
/// by nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    pub start: BlockNo,
    pub end: BlockNo,
    pub ids: Vec<usize>,
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
    let mut active: Vec<usize> = Vec::new();
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
                active.push(id);
            } else if let Some(k) = active.iter().position(|&a| a == id) {
                active.swap_remove(k);
            }
            i += 1;
        }
        if active.len() >= 2
            && let Some(&(next, _, _)) = events.get(i)
        {
            let mut ids = active.clone();
            ids.sort_unstable();
            out.push(Shared {
                start: pos,
                end: next,
                ids,
            });
        }
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
                ids: vec![0, 1]
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
    fn uncovered_parts() {
        let cov = [(2, 2), (6, 1)];
        assert_eq!(uncovered(0, 10, &cov), vec![(0, 2), (4, 6), (7, 10)]);
        assert_eq!(uncovered(2, 4, &cov), vec![]);
        assert_eq!(uncovered(3, 7, &cov), vec![(4, 6)]);
        assert_eq!(uncovered(0, 5, &[]), vec![(0, 5)]);
    }
}
