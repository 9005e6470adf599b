//! Making strings from the image safe to print.
//!
//! Names, labels and paths are attacker-controlled. Before they reach a
//! terminal, C0 and C1 control characters, DEL, and the invisible or
//! bidirectional formatting characters (U+061C, U+200B–U+200F, U+202A–U+202E,
//! U+2060–U+2069, U+FEFF) are shown escaped as `\x1b` or `\u{202e}`, so that an
//! escape sequence cannot drive the terminal and a right-to-left override
//! cannot disguise a name. Backslashes are left alone: invalid UTF-8 already
//! arrives from the model as `\xNN`.

/// The terminal-safe form of `s`.
pub fn for_terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let u = c as u32;
        if u < 0x20 || u == 0x7F {
            out.push_str(&format!("\\x{u:02x}"));
        } else if (0x80..0xA0).contains(&u) || is_format_control(u) {
            out.push_str(&format!("\\u{{{u:x}}}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// Appends `c` as the `\xNN` escapes of its UTF-8 bytes: how the bodyfile,
/// DFXML and HTML outputs write a character they cannot carry raw.
pub fn push_byte_escapes(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        out.push_str(&format!("\\x{b:02x}"));
    }
}

fn is_format_control(u: u32) -> bool {
    matches!(u, 0x061C | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_and_bidi() {
        assert_eq!(for_terminal("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(for_terminal("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(for_terminal("line\nbreak\x7f"), "line\\x0abreak\\x7f");
        assert_eq!(for_terminal("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(for_terminal("café/ünï"), "café/ünï");
    }
}
