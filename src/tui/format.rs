//! Small formatting helpers for the views.

use humansize::{BINARY, format_size};

/// An inode time: ISO 8601 in UTC with seconds ("2023-11-14T22:13:20Z"),
/// "—" when zero; as the CLI says it.
pub fn time(epoch: i64) -> String {
    crate::report::describe::time(epoch)
}

pub fn size(bytes: u64) -> String {
    format_size(bytes, BINARY)
}

/// "12–15" or "12".
pub fn range(start: u64, len: u64) -> String {
    if len <= 1 {
        start.to_string()
    } else {
        format!("{start}–{}", start.saturating_add(len - 1))
    }
}

/// Pads or cuts `s` to exactly `width` characters. A cut ends in `…` and
/// falls between words where it can: a number, a hash or a flag is shown
/// whole or not at all, never cut into another value ("flags 0x8…" for
/// 0x80000).
pub fn fit(s: &str, width: usize) -> String {
    let count = s.chars().count();
    if count <= width {
        return format!("{s}{}", " ".repeat(width - count));
    }
    if width == 0 {
        return String::new();
    }
    let chars: Vec<char> = s.chars().collect();
    let space = |c: Option<&char>| c.is_none_or(|c| c.is_whitespace());
    let mut keep = width - 1;
    let inside_a_word = keep > 0 && !space(chars.get(keep - 1)) && !space(chars.get(keep));
    let last_space = chars
        .iter()
        .take(keep)
        .rposition(|c| c.is_whitespace())
        .filter(|&at| chars.iter().take(at).any(|c| !c.is_whitespace()));
    if inside_a_word && let Some(at) = last_space {
        keep = at + 1;
    }
    let mut out: String = chars.iter().take(keep).collect();
    out.push('…');
    out.push_str(&" ".repeat(width - keep - 1));
    out
}

/// `fields` joined by `separator` into lines of at most `width` characters,
/// a field never split (one longer than `width` gets a line of its own).
pub fn pack(fields: &[String], separator: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for field in fields {
        let len = lines.last().map_or(0, |l| l.chars().count());
        if len > 0 && len + separator.chars().count() + field.chars().count() > width {
            lines.push(String::new());
        }
        if let Some(line) = lines.last_mut() {
            if !line.is_empty() {
                line.push_str(separator);
            }
            line.push_str(field);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_dates() {
        assert_eq!(time(0), "—");
        assert_eq!(time(1), "1970-01-01T00:00:01Z");
        assert_eq!(time(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(time(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn fit_pads_and_cuts() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
    }

    #[test]
    fn pack_keeps_every_field_whole() {
        let fields: Vec<String> = ["links 1", "flags 0x80000", "size 5.44 KiB (5572 bytes)"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            pack(&fields, "  ", 24),
            ["links 1  flags 0x80000", "size 5.44 KiB (5572 bytes)"]
        );
        assert_eq!(pack(&fields, "  ", 200).len(), 1);
    }

    #[test]
    fn fit_never_cuts_a_value_in_two() {
        assert_eq!(fit("links 1  flags 0x80000", 18), "links 1  flags …  ");
        assert_eq!(
            fit("sha256 7764e370a2af66e0ab60", 20),
            "sha256 …            "
        );
        // A single word longer than the width is still cut, with the mark.
        assert_eq!(fit("0123456789", 5), "0123…");
        for width in 0..30 {
            assert_eq!(
                fit("size 5572  links 1  flags 0x80000", width)
                    .chars()
                    .count(),
                width
            );
        }
    }
}
