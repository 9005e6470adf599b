//! The shape of the code, held by a test: layers import only downward, and
//! nothing above `src/fs/` names a format, its structures or its numbering
//! (a new format is its folder and one registry line in
//! `src/fs/format.rs`). Comments and string literals are not code: a
//! finding may say "ext4" to a reader.

use std::path::{Path, PathBuf};

/// The layers, lowest first; a file may import from its own layer or below.
const LAYERS: &[(&str, usize)] = &[
    ("bytes", 0),
    ("image", 0),
    ("model", 1),
    ("volume", 2),
    ("fs", 3),
    ("analysis", 4),
    ("report", 5),
    ("tui", 6),
    ("fuzzing", 7),
    ("cli", 7),
    ("main", 7),
    ("lib", 7),
];

/// Names a format folder owns: its module path, and its types and
/// constructors by name.
const FORMAT_WORDS: &[&str] = &[
    "fs::ext",
    "fs::xfs",
    "fs::fat",
    "fs::erofs",
    "fs::recognised",
    "ext::",
    "xfs::",
    "fat::",
    "erofs::",
    "Xfs",
    "Erofs",
    "Jbd2",
    "xfs_",
    "erofs_",
    "jbd2_",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source with comments and string literals blanked out.
fn code_only(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                out.push('"');
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        '\n' => out.push('\n'),
                        _ => {}
                    }
                }
                out.push('"');
            }
            // A char literal such as '"' must not open a string.
            '\'' if chars.clone().nth(1) == Some('\'') => {
                chars.next();
                chars.next();
                out.push_str("' '");
            }
            _ => out.push(c),
        }
    }
    out
}

/// The layer a file of `src/` belongs to.
fn layer_of(src: &Path, file: &Path) -> (&'static str, usize) {
    let relative = file.strip_prefix(src).expect("under src");
    let top = relative
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .map(|c| c.trim_end_matches(".rs"))
        .unwrap_or_default();
    *LAYERS
        .iter()
        .find(|(name, _)| *name == top)
        .unwrap_or_else(|| panic!("{}: in no layer of LAYERS", relative.display()))
}

#[test]
fn layers_import_only_downward() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    for file in &files {
        let (name, rank) = layer_of(&src, file);
        if name == "main" || name == "lib" {
            continue;
        }
        let code = code_only(&std::fs::read_to_string(file).expect("read"));
        for (to, to_rank) in LAYERS {
            let path = format!("crate::{to}");
            let imports = code.match_indices(&path).any(|(at, _)| {
                !code[at + path.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            });
            if imports && *to_rank > rank {
                upward.push(format!("{} ({name}) imports {path}", file.display()));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that run upward:\n{}",
        upward.join("\n")
    );
}

/// Whether `line` holds `word` where a name starts (not "text::" for "ext::").
fn names(line: &str, word: &str) -> bool {
    line.match_indices(word).any(|(at, _)| {
        !line[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn nothing_above_fs_names_a_format() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut named = Vec::new();
    for file in &files {
        let (_, rank) = layer_of(&src, file);
        if rank <= 3 && !file.starts_with(src.join("model")) {
            // The formats' own layer, and the byte and volume layers below it.
            continue;
        }
        if file.ends_with("fuzzing.rs") {
            // The fuzz entry points drive each format's parsers directly.
            continue;
        }
        if file.starts_with(src.join("model").join("codes")) {
            // Finding codes are one enum for every format (a format's codes
            // are its variants); their explanations are prose grouped by the
            // format they speak of, not code that reads the format.
            continue;
        }
        let code = code_only(&std::fs::read_to_string(file).expect("read"));
        for (number, line) in code.lines().enumerate() {
            for word in FORMAT_WORDS {
                if names(line, word) {
                    named.push(format!(
                        "{}:{}: {}",
                        file.display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        named.is_empty(),
        "format names above src/fs/:\n{}",
        named.join("\n")
    );
}

/// Lines a file may have outside a format's own folder, and a function
/// anywhere.
const MAX_FILE_LINES: usize = 600;
const MAX_FUNCTION_LINES: usize = 150;

/// `(name, first line, lines)` of every function in `code`: from its `fn`
/// line to the closing brace at the same indentation.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let signature = [
            "pub fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "fn ",
            "const fn ",
            "pub const fn ",
        ]
        .iter()
        .find_map(|p| trimmed.strip_prefix(p));
        let Some(rest) = signature else { continue };
        if line.trim_end().ends_with(';') {
            continue; // a trait method without a body
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let closing = format!("{indent}}}");
        if let Some(end) = (i + 1..lines.len()).find(|&j| lines[j].trim_end() == closing) {
            out.push((name, i + 1, end - i + 1));
        }
    }
    out
}

#[test]
fn files_and_functions_stay_small() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut large = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).expect("read");
        let relative = file.strip_prefix(&src).expect("under src");
        let in_format_folder = relative.starts_with("fs") && relative.components().count() > 2;
        let lines = source.lines().count();
        if !in_format_folder && lines > MAX_FILE_LINES {
            large.push(format!("{}: {lines} lines", relative.display()));
        }
        for (name, at, length) in functions(&code_only(&source)) {
            if length > MAX_FUNCTION_LINES {
                large.push(format!(
                    "{}:{at}: fn {name} is {length} lines",
                    relative.display()
                ));
            }
        }
    }
    assert!(large.is_empty(), "too large:\n{}", large.join("\n"));
}

#[test]
fn anyhow_lives_only_at_the_edges() {
    // The library's errors are typed (a test can compare their kind);
    // anyhow only gathers them where the binary reports them.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let inside: Vec<String> = files
        .iter()
        .filter(|f| !f.ends_with("main.rs") && !f.starts_with(src.join("cli")))
        .filter(|f| {
            names(
                &code_only(&std::fs::read_to_string(f).expect("read")),
                "anyhow",
            )
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(inside.is_empty(), "anyhow inside the library: {inside:?}");
}

#[test]
fn the_checks_see_what_they_look_for() {
    // A check that cannot fail proves nothing: it must see code, not
    // comments or strings.
    let code = code_only("use crate::fs::ext::journal; // fs::xfs\nlet s = \"fs::fat\";");
    assert!(code.contains("crate::fs::ext"));
    assert!(!code.contains("fs::xfs"));
    assert!(!code.contains("fs::fat"));
    assert!(names("use crate::fs::xfs::sb;", "xfs::"));
    assert!(!names("text::render(&result)", "ext::"));
    let body = "    fn long() {\n".to_string() + &"        x();\n".repeat(200) + "    }\n";
    assert_eq!(functions(&body), vec![("long".to_string(), 1, 202)]);
}
