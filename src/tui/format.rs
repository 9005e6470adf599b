//! Small formatting helpers for the views.

use humansize::{BINARY, format_size};

/// Seconds since the epoch as "YYYY-MM-DD HH:MM" (UTC).
pub fn time(epoch: i64) -> String {
    crate::report::describe::utc(epoch)
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

/// Pads or cuts `s` to exactly `width` characters.
pub fn fit(s: &str, width: usize) -> String {
    let count = s.chars().count();
    if count <= width {
        format!("{s}{}", " ".repeat(width - count))
    } else if width == 0 {
        String::new()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_dates() {
        assert_eq!(time(0), "1970-01-01 00:00");
        assert_eq!(time(1_700_000_000), "2023-11-14 22:13");
        assert_eq!(time(951_782_400), "2000-02-29 00:00");
    }

    #[test]
    fn fit_pads_and_cuts() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
    }
}
