//! The Sleuth Kit's formats against The Sleuth Kit: `ls -r` against
//! `fls -r -p`, `cat` against `icat`, the bodyfile against `fls -r -m /` and
//! `mactime`, on every bare ext and FAT sample; `cat -o` never writes
//! over the evidence or an existing file; the bodyfile is written row by row.

mod common;

use std::collections::BTreeSet;

use common::{have_tool, imginspect, samples_dir, tool};

/// The bare ext and FAT samples (no partition table).
fn bare_samples() -> Vec<String> {
    let ext = common::expected().into_iter().map(|(n, _, _)| n);
    ext.chain(
        [
            "fat12-clean.img",
            "fat16-clean.img",
            "fat16-crosslink.img",
            "fat32-loop.img",
        ]
        .map(String::from),
    )
    .collect()
}

fn path_of(name: &str) -> String {
    samples_dir().join(name).to_str().unwrap().to_string()
}

/// (inode, path, deleted) from `fls -r -p`-style lines: `r/r * 565:<TAB>path…`.
fn entries(text: &str) -> BTreeSet<(u64, String, bool)> {
    text.lines()
        .filter(|l| !l.starts_with("v/v") && !l.starts_with("V/V"))
        .filter_map(|l| {
            let (_, rest) = l.split_once(' ')?;
            let deleted = rest.starts_with('*');
            let (ino, rest) = rest.trim_start_matches("* ").split_once(":\t")?;
            let path = rest.split('\t').next()?;
            if path.ends_with(" (Volume Label Entry)") || path.starts_with("$OrphanFiles") {
                return None;
            }
            Some((ino.trim().parse().ok()?, path.to_string(), deleted))
        })
        .collect()
}

#[test]
fn ls_names_the_entries_fls_names() {
    if !have_tool("fls") {
        return;
    }
    for name in bare_samples() {
        let out = tool("fls", &["-r", "-p", &path_of(&name)]);
        let theirs = entries(&String::from_utf8_lossy(&out.stdout));
        let out = imginspect(&["ls", "-r", "--deleted", &path_of(&name)]);
        assert!(out.status.success(), "{name}: {out:?}");
        let ours = entries(&String::from_utf8_lossy(&out.stdout));
        // Hostile names are escaped in our listing and raw in fls's.
        if name == "hostile-names.img" {
            assert_eq!(ours.len(), theirs.len(), "{name}");
            continue;
        }
        assert_eq!(ours, theirs, "{name}");
    }
}

#[test]
fn ls_marks_cross_linked_files_and_lists_one_directory() {
    let out = imginspect(&["ls", &path_of("shadow-crosslink.img"), "/etc"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let shadow = text.lines().find(|l| l.contains("shadow")).unwrap();
    assert!(shadow.ends_with("CROSS-LINKED"), "{text}");
    assert!(!text.contains("notes.txt"), "only /etc: {text}");
}

#[test]
fn cat_gives_the_bytes_icat_gives() {
    if !have_tool("icat") {
        return;
    }
    let mut compared = 0;
    for name in bare_samples() {
        let listing = imginspect(&["ls", "-r", &path_of(&name)]);
        for line in String::from_utf8_lossy(&listing.stdout).lines() {
            if !line.starts_with("r/r ") {
                continue;
            }
            // An unlinked orphan's removed name: `r/r * 19(realloc):`.
            let ino = line[4..].split(':').next().unwrap();
            let ino = ino
                .trim_start_matches("* ")
                .trim_end_matches("(realloc)")
                .trim();
            let theirs = tool("icat", &[&path_of(&name), ino]);
            let ours = imginspect(&["cat", &path_of(&name), ino]);
            if !ours.status.success() {
                // Inline data, and blocks past the end of the image, are
                // refused with a reason: never wrong bytes.
                let why = String::from_utf8_lossy(&ours.stderr);
                assert!(
                    why.contains("inline") || why.contains("past the end of the image"),
                    "{name} {ino}: {why}"
                );
                continue;
            }
            assert!(
                ours.stdout == theirs.stdout,
                "{name} inode {ino}: bytes differ from icat"
            );
            compared += 1;
        }
    }
    assert!(compared >= 40, "only {compared} files compared");
}

/// A 1 KiB-block ext4 image of `blocks` blocks made from `src` with mke2fs -d.
fn mke2fs_d(src: &std::path::Path, img: &str, options: &[&str], blocks: &str) {
    let src = src.to_str().unwrap();
    let mut args = vec!["-q", "-F", "-t", "ext4", "-b", "1024"];
    args.extend_from_slice(options);
    args.extend_from_slice(&["-d", src, img, blocks]);
    let made = tool("mke2fs", &args);
    assert!(made.status.success(), "{made:?}");
}

/// Files whose bytes live in the inode: inline data (in `i_block` and in the
/// `system.data` xattr, with zeros past them up to i_size) and fast
/// symlinks; and a sparse file, against `debugfs dump` too. The inline image
/// is made here with mke2fs -O inline_data -d. (debugfs 1.47's `dump` of an
/// inline file writes all 60 bytes of i_block, whatever the size, so inline
/// files are checked against icat and the source bytes.)
#[test]
fn cat_reads_inline_data_fast_symlinks_and_sparse_files() {
    if !have_tool("mke2fs") || !have_tool("icat") || !have_tool("debugfs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let text = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|i| b"inline data, then its xattr part. "[i % 34])
            .collect()
    };
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("tiny.txt", text(17)),
        ("exactly60.txt", text(60)),
        ("into-xattr.txt", text(150)),
        ("hole.bin", vec![0; 100]),
        ("blocks.txt", text(5000)),
    ];
    for (name, bytes) in &files {
        if name.ends_with(".bin") {
            std::fs::File::create(src.join(name))
                .unwrap()
                .set_len(bytes.len() as u64)
                .unwrap();
        } else {
            std::fs::write(src.join(name), bytes).unwrap();
        }
    }
    std::os::unix::fs::symlink("blocks.txt", src.join("link")).unwrap();
    let img = dir.path().join("inline.img");
    let img = img.to_str().unwrap();
    mke2fs_d(
        &src,
        img,
        &["-O", "inline_data", "-I", "512", "-N", "64"],
        "2048",
    );
    let inode_of = |path: &str| -> String {
        let stat = tool("debugfs", &["-R", &format!("stat /{path}"), img]);
        let stat = String::from_utf8_lossy(&stat.stdout).into_owned();
        stat.lines()
            .find_map(|l| l.strip_prefix("Inode: "))
            .and_then(|l| l.split_whitespace().next())
            .unwrap()
            .to_string()
    };
    let mut inline = 0;
    for (name, bytes) in &files {
        let ino = inode_of(name);
        let ours = imginspect(&["cat", img, &ino]);
        assert!(ours.status.success(), "{name}: {ours:?}");
        assert_eq!(&ours.stdout, bytes, "{name}: not the source bytes");
        assert_eq!(ours.stdout, tool("icat", &[img, &ino]).stdout, "{name}");
        let json = imginspect(&["inode", img, &ino, "--format", "json"]);
        let flags = serde_json::from_slice::<serde_json::Value>(&json.stdout).unwrap()["flags"]
            .as_u64()
            .unwrap();
        if flags & 0x1000_0000 != 0 {
            inline += 1;
        }
    }
    assert!(inline >= 3, "only {inline} files were stored inline");
    let link = imginspect(&["cat", img, &inode_of("link")]);
    assert_eq!(link.stdout, b"blocks.txt");

    // A sparse file on a sample image, against debugfs dump and icat.
    let clean = path_of("clean-ext4.img");
    let out = dir.path().join("dumped");
    let dumped = tool(
        "debugfs",
        &[
            "-R",
            &format!("dump /var/lib/app/sparse.bin {}", out.display()),
            &clean,
        ],
    );
    assert!(dumped.status.success(), "{dumped:?}");
    let ours = imginspect(&["cat", &clean, "/var/lib/app/sparse.bin"]).stdout;
    assert_eq!(ours, std::fs::read(&out).unwrap());
    assert_eq!(ours.len(), 8192);
    assert!(
        ours[2048..6144].iter().all(|&b| b == 0),
        "the hole reads as zeros"
    );
}

#[test]
fn cat_never_writes_the_image_or_over_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("evidence.img");
    std::fs::copy(samples_dir().join("shadow-crosslink.img"), &image).unwrap();
    let before = std::fs::read(&image).unwrap();
    let img = image.to_str().unwrap();
    // Not the image, not even with --force.
    for args in [
        &["cat", img, "14", "-o", img][..],
        &["cat", img, "14", "-o", img, "--force"],
    ] {
        let out = imginspect(args);
        assert_eq!(out.status.code(), Some(8), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("evidence is never written"));
    }
    assert_eq!(std::fs::read(&image).unwrap(), before);
    // A new file, then not over it without --force, then over it with it.
    let target = dir.path().join("shadow.out");
    let t = target.to_str().unwrap();
    assert_eq!(
        imginspect(&["cat", img, "/etc/shadow", "-o", t])
            .status
            .code(),
        Some(0)
    );
    let first = std::fs::read(&target).unwrap();
    assert!(first.starts_with(b"root:$6$"));
    std::fs::write(&target, b"keep me").unwrap();
    assert_eq!(
        imginspect(&["cat", img, "14", "-o", t]).status.code(),
        Some(8)
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    assert_eq!(
        imginspect(&["cat", img, "14", "-o", t, "--force"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(std::fs::read(&target).unwrap(), first);
}

/// Bodyfile rows without the MD5 and crtime columns (TSK gives crtime for
/// ext4 only), and without the ` -> target` TSK appends to fast symlinks
/// (imginspect does not read targets kept in the inode).
fn rows(text: &str) -> BTreeSet<Vec<String>> {
    text.lines()
        .map(|l| {
            let mut cols: Vec<String> = l.split('|').map(str::to_string).collect();
            if let Some(name) = cols.get_mut(1)
                && let Some((link, _)) = name.split_once(" -> ")
            {
                *name = link.to_string();
            }
            cols.get(1..10).unwrap_or(&[]).to_vec()
        })
        // TSK's virtual files ($MBR, $FAT1, $OrphanFiles) are its own.
        .filter(|c| c.first().is_some_and(|p| !p.starts_with("/$") && p != "/"))
        .filter(|c| {
            !c.first()
                .is_some_and(|p| p.ends_with("(Volume Label Entry)"))
        })
        .collect()
}

#[test]
fn the_bodyfile_is_fls_m_and_mactime_reads_it() {
    if !have_tool("fls") || !have_tool("mactime") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for name in bare_samples() {
        let out = imginspect(&["scan", "--format", "bodyfile", &path_of(&name)]);
        let ours = String::from_utf8_lossy(&out.stdout).to_string();
        if name == "hostile-names.img" {
            // A name with `|` and a newline stays one row of 11 columns.
            assert!(ours.lines().all(|l| l.split('|').count() == 11), "{ours}");
            assert!(ours.contains("\\x0a") || ours.contains("\\x7c"), "{ours}");
            continue;
        }
        let theirs = tool("fls", &["-r", "-m", "/", &path_of(&name)]);
        let theirs = String::from_utf8_lossy(&theirs.stdout).to_string();
        assert_eq!(rows(&ours), rows(&theirs), "{name}");
        let body = dir.path().join("body");
        std::fs::write(&body, &ours).unwrap();
        let m = tool("mactime", &["-b", body.to_str().unwrap(), "-d", "-y"]);
        assert!(m.status.success(), "mactime rejects ours for {name}: {m:?}");
    }
}

/// inode → its byte runs (`file_offset`, then `fs_offset` or `fill`, and
/// `len`) for every regular file of a DFXML document.
fn dfxml_runs(xml: &str) -> std::collections::BTreeMap<u64, Vec<String>> {
    let mut out = std::collections::BTreeMap::new();
    for object in xml.split("<fileobject>").skip(1) {
        let object = object.split("</fileobject>").next().unwrap_or("");
        // Regular, allocated files (deleted ones: TSK's and our recovery
        // guesses differ, and neither is a claim).
        if !object.contains("<name_type>r</name_type>") || object.contains("<alloc>0</alloc>") {
            continue;
        }
        // fiwalk names the parent's inode first (parent_object): the last
        // <inode> is the file's own.
        let Some(ino) = object
            .rsplit("<inode>")
            .next()
            .and_then(|s| s.split('<').next())
            .and_then(|s| s.parse().ok())
        else {
            continue;
        };
        let runs: Vec<String> = object
            .split("<byte_run ")
            .skip(1)
            .map(|r| {
                let attr = |name: &str| {
                    r.split(&format!("{name}='"))
                        .nth(1)
                        .and_then(|s| s.split('\'').next())
                        .unwrap_or("-")
                        .to_string()
                };
                format!(
                    "{} {} {} {}",
                    attr("file_offset"),
                    attr("fs_offset"),
                    attr("fill"),
                    attr("len")
                )
            })
            .collect();
        out.entry(ino).or_insert(runs);
    }
    out
}

#[test]
fn dfxml_byte_runs_are_fiwalks_and_the_document_is_well_formed() {
    if !have_tool("fiwalk") || !have_tool("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for name in bare_samples() {
        let out = imginspect(&["scan", "--format", "dfxml", &path_of(&name)]);
        let ours = String::from_utf8_lossy(&out.stdout).to_string();
        let file = dir.path().join("ours.xml");
        std::fs::write(&file, &ours).unwrap();
        let parsed = tool(
            "python3",
            &[
                "-c",
                "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])",
                file.to_str().unwrap(),
            ],
        );
        assert!(
            parsed.status.success(),
            "{name}: not well-formed XML: {parsed:?}"
        );
        if name == "hostile-names.img" {
            continue;
        }
        // fiwalk refuses to overwrite its output: a new name per image.
        let theirs_file = dir.path().join(format!("{name}.xml"));
        let fiwalk = tool(
            "fiwalk",
            &["-X", theirs_file.to_str().unwrap(), &path_of(&name)],
        );
        assert!(fiwalk.status.success(), "{name}: {fiwalk:?}");
        let theirs = dfxml_runs(&std::fs::read_to_string(&theirs_file).unwrap());
        for (ino, runs) in dfxml_runs(&ours) {
            let Some(want) = theirs.get(&ino) else {
                continue;
            };
            assert_eq!(&runs, want, "{name} inode {ino}");
            compared += 1;
        }
    }
    assert!(compared >= 40, "only {compared} files compared");
}

#[test]
fn the_html_report_is_self_contained_and_marks_the_cross_link() {
    for name in [
        "shadow-crosslink.img",
        "gpt-two-partitions.img",
        "hostile-names.img",
    ] {
        let out = imginspect(&["scan", "--format", "html", &path_of(name)]);
        assert!(
            matches!(out.status.code(), Some(0) | Some(4)),
            "{name}: {out:?}"
        );
        let page = String::from_utf8(out.stdout).expect("UTF-8");
        // Nothing is fetched or run: no script, no external resource.
        for banned in ["<script", "<link", "src=", "href=", "url(http", "@import"] {
            assert!(!page.contains(banned), "{name}: {banned}");
        }
        assert_eq!(
            page.matches("<svg").count(),
            page.matches("</svg>").count(),
            "{name}"
        );
        assert_eq!(
            page.matches("<table>").count(),
            page.matches("</table>").count(),
            "{name}"
        );
        // The cross-linked cells are hatched, and the finding is explained.
        assert!(page.contains("<rect class='crosslink'"), "{name}");
        assert!(page.contains("fill='url(#crosslink)'"), "{name}");
        assert!(page.contains("What an attacker can do"), "{name}");
        // Names from the image are text, never markup or terminal codes.
        assert!(
            !page.contains('\u{1b}') && !page.contains('\u{202e}'),
            "{name}"
        );
    }
    let page = String::from_utf8(
        imginspect(&["scan", "--format", "html", &path_of("hostile-names.img")]).stdout,
    )
    .unwrap();
    assert!(
        page.contains("\\x1b"),
        "the ESC in a hostile name is shown escaped"
    );
    // -o writes a new file, never the image.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.html");
    let r = report.to_str().unwrap();
    let img = path_of("shadow-crosslink.img");
    let out = imginspect(&["scan", "--format", "html", "-o", r, &img]);
    assert_eq!(out.status.code(), Some(4));
    assert!(std::fs::read_to_string(&report).unwrap().contains("<html"));
    let out = imginspect(&["scan", "--format", "html", "-o", &img, "--force", &img]);
    assert_eq!(out.status.code(), Some(8), "the image is never the output");
}

/// deleted-reused.img: two files removed with debugfs rm (their block maps
/// left in the freed inodes), one of them since overwritten by a new file.
/// The deleted inodes are listed as fls -d lists them, their bytes read as
/// icat recovers them, and the reused blocks attributed to their new owner
/// exactly where debugfs's `blocks` of the old inode meets `icheck`.
#[test]
fn deleted_files_are_listed_recovered_and_attributed() {
    if !have_tool("fls") || !have_tool("debugfs") {
        return;
    }
    let img = path_of("deleted-reused.img");
    let theirs = entries(&String::from_utf8_lossy(
        &tool("fls", &["-r", "-d", "-p", &img]).stdout,
    ));
    let ours: BTreeSet<_> = entries(&String::from_utf8_lossy(
        &imginspect(&["ls", "-r", "--deleted", &img]).stdout,
    ))
    .into_iter()
    .filter(|e| e.2)
    .collect();
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), 2, "{ours:?}");
    // Without --deleted they are not listed.
    let live = String::from_utf8_lossy(&imginspect(&["ls", "-r", &img]).stdout).into_owned();
    assert!(!live.contains("diary") && !live.contains('*'), "{live}");

    // Recovered through the old map, as icat recovers them.
    for (ino, _, _) in &ours {
        let ino = ino.to_string();
        let recovered = imginspect(&["cat", &img, &ino]);
        assert!(recovered.status.success(), "{recovered:?}");
        assert_eq!(
            recovered.stdout,
            tool("icat", &[&img, &ino]).stdout,
            "{ino}"
        );
    }
    let notes = ours
        .iter()
        .find(|e| e.1.ends_with("old-notes.txt"))
        .unwrap();
    let notes = imginspect(&["cat", &img, &notes.0.to_string()]).stdout;
    assert!(notes.starts_with(b"old notes line 00000"));

    // debugfs: which of the diary's old blocks does a live inode hold now?
    let diary = ours.iter().find(|e| e.1.ends_with("diary.txt")).unwrap().0;
    let debugfs = |request: &str| {
        String::from_utf8_lossy(&tool("debugfs", &["-R", request, &img]).stdout).into_owned()
    };
    let old_blocks = debugfs(&format!("blocks <{diary}>"));
    let icheck = debugfs(&format!("icheck {}", old_blocks.trim()));
    let mut reused: Vec<u64> = Vec::new();
    let mut holders: BTreeSet<u64> = BTreeSet::new();
    for line in icheck.lines().skip(1) {
        let mut cols = line.split_whitespace();
        let (Some(block), Some(owner)) = (cols.next(), cols.next()) else {
            continue;
        };
        if let Ok(owner) = owner.parse::<u64>() {
            reused.push(block.parse().unwrap());
            holders.insert(owner);
        }
    }
    assert!(!reused.is_empty(), "{icheck}");
    let report = common::scan_json(std::path::Path::new(&img));
    let findings: Vec<&serde_json::Value> = report["volumes"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "reused_blocks")
        .collect();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = findings[0];
    assert_eq!(f["severity"], "info");
    let ours_blocks: Vec<u64> = f["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            let (s, l) = (r[0].as_u64().unwrap(), r[1].as_u64().unwrap());
            s..s + l
        })
        .collect();
    assert_eq!(ours_blocks, reused);
    let inodes: Vec<u64> = f["inodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(inodes[0], diary);
    assert_eq!(
        inodes[1..].iter().copied().collect::<BTreeSet<_>>(),
        holders
    );
    // Not a cross-link: nothing else is reported, and e2fsck agrees.
    assert_eq!(report["summary"]["crosslinked_blocks"], 0);
}

/// `scan --format dfxml --hash`: each regular file's `hashdigest` is the
/// SHA-256 of the bytes `icat` gives for it (deleted files included).
#[test]
fn dfxml_hashdigests_are_the_sha256_of_what_icat_gives() {
    use sha2::{Digest, Sha256};
    if !have_tool("icat") {
        return;
    }
    let mut compared = 0;
    for name in ["clean-ext4.img", "deleted-reused.img", "fat16-clean.img"] {
        let img = path_of(name);
        let out = imginspect(&["scan", "--format", "dfxml", "--hash", &img]);
        let xml = String::from_utf8_lossy(&out.stdout).into_owned();
        // Without --hash, no file is read and no digest written.
        let plain = imginspect(&["scan", "--format", "dfxml", &img]);
        assert!(!String::from_utf8_lossy(&plain.stdout).contains("<hashdigest"));
        for object in xml.split("<fileobject>").skip(1) {
            let field = |tag: &str| {
                let open = format!("<{tag}>");
                let at = object.find(&open)? + open.len();
                let end = object[at..].find('<')?;
                Some(object[at..at + end].to_string())
            };
            let Some(digest) = object
                .split("<hashdigest type='sha256'>")
                .nth(1)
                .and_then(|d| d.split('<').next())
            else {
                continue;
            };
            let ino = field("inode").unwrap();
            // A deleted FAT file's clusters are a guess, and TSK's guess
            // differs (it stops at clusters allocated since): not compared.
            if name.starts_with("fat") && field("alloc").as_deref() == Some("0") {
                continue;
            }
            let bytes = tool("icat", &[&img, &ino]).stdout;
            let want: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(digest, want, "{name} inode {ino}");
            compared += 1;
        }
    }
    assert!(compared >= 30, "only {compared} digests compared");
}

/// One name holding `|`, a newline and ESC (made here with mke2fs -d) goes
/// through every listing without breaking it: one bodyfile row of 11
/// columns whose `\xNN` escapes give the name back byte for byte, one `ls`
/// line, a well-formed DFXML whose filename text is the escaped name, an
/// HTML page with no raw control byte. Nothing from the image reaches the
/// output as a control character.
#[test]
fn a_name_with_a_bar_a_newline_and_esc_survives_every_listing() {
    if !have_tool("mke2fs") || !have_tool("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let name = "a|b\nc\u{1b}[31mred";
    std::fs::write(src.join(name), b"x").unwrap();
    let img = dir.path().join("bar.img");
    let img = img.to_str().unwrap();
    mke2fs_d(&src, img, &["-N", "32"], "1024");
    let no_controls = |what: &str, out: &[u8]| {
        let text = String::from_utf8_lossy(out);
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{what}: a raw control character: {text:?}"
        );
    };

    let body = imginspect(&["scan", "--format", "bodyfile", img]).stdout;
    no_controls("bodyfile", &body);
    let body = String::from_utf8(body).unwrap();
    let row = body
        .lines()
        .find(|l| l.contains("red"))
        .expect("the file has a row");
    assert!(body.lines().all(|l| l.split('|').count() == 11), "{body}");
    // Undo the \xNN escapes: the name comes back byte for byte.
    let escaped = row.split('|').nth(1).unwrap().trim_start_matches('/');
    let mut bytes = Vec::new();
    let mut rest = escaped.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'\\' && tail.first() == Some(&b'x') {
            let hex = std::str::from_utf8(&tail[1..3]).unwrap();
            bytes.push(u8::from_str_radix(hex, 16).unwrap());
            rest = &tail[3..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    assert_eq!(bytes, name.as_bytes(), "{row}");

    let ls = imginspect(&["ls", "-r", img]).stdout;
    no_controls("ls", &ls);
    let ls = String::from_utf8(ls).unwrap();
    assert_eq!(ls.lines().filter(|l| l.contains("red")).count(), 1, "{ls}");
    assert!(
        ls.lines().all(|l| l.contains(":\t")),
        "every line is an entry: {ls}"
    );

    let xml = imginspect(&["scan", "--format", "dfxml", img]).stdout;
    no_controls("dfxml", &xml);
    let file = dir.path().join("out.xml");
    std::fs::write(&file, &xml).unwrap();
    let parsed = tool(
        "python3",
        &[
            "-c",
            "import sys, xml.etree.ElementTree as E\n\
             ns = {'d': 'http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML'}\n\
             print('\\n'.join(f.text for f in E.parse(sys.argv[1]).getroot().iter('{%s}filename' % ns['d'])))",
            file.to_str().unwrap(),
        ],
    );
    assert!(parsed.status.success(), "{parsed:?}");
    let names = String::from_utf8(parsed.stdout).unwrap();
    assert!(
        names
            .lines()
            .any(|l| l.contains('|') && l.contains("\\x0a") && l.contains("\\x1b")),
        "{names}"
    );

    let html = imginspect(&["scan", "--format", "html", img]).stdout;
    no_controls("html", &html);
}

/// inode → (md5, sha1, deleted) of every regular file of a DFXML document
/// that carries hashdigests; deleted is imginspect's `<alloc>0` mark.
fn dfxml_digests(xml: &str) -> std::collections::BTreeMap<u64, (String, String, bool)> {
    let digest = |object: &str, kind: &str| {
        object
            .split(&format!("<hashdigest type='{kind}'>"))
            .nth(1)
            .and_then(|d| d.split('<').next())
            .map(str::to_string)
    };
    xml.split("<fileobject>")
        .skip(1)
        .filter_map(|object| {
            let object = object.split("</fileobject>").next()?;
            if !object.contains("<name_type>r</name_type>") {
                return None;
            }
            // fiwalk names the parent first: the last <inode> is the file's.
            let ino = object
                .rsplit("<inode>")
                .next()?
                .split('<')
                .next()?
                .parse()
                .ok()?;
            let deleted = object.contains("<alloc>0</alloc>");
            Some((
                ino,
                (digest(object, "md5")?, digest(object, "sha1")?, deleted),
            ))
        })
        .collect()
}

/// `--hash` gives the md5 and sha1 `fiwalk -X` gives, for every regular file
/// it hashes (deleted ext files too, read through their old maps).
#[test]
fn dfxml_md5_and_sha1_are_fiwalks() {
    if !have_tool("fiwalk") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for name in [
        "clean-ext4.img",
        "deleted-reused.img",
        "fat16-clean.img",
        "partial-overlap.img",
    ] {
        let img = path_of(name);
        let ours = dfxml_digests(&String::from_utf8_lossy(
            &imginspect(&["scan", "--format", "dfxml", "--hash", &img]).stdout,
        ));
        let file = dir.path().join(format!("{name}.xml"));
        let fiwalk = tool("fiwalk", &["-X", file.to_str().unwrap(), &img]);
        assert!(fiwalk.status.success(), "{name}: {fiwalk:?}");
        let theirs = dfxml_digests(&std::fs::read_to_string(&file).unwrap());
        assert!(!theirs.is_empty(), "{name}: fiwalk hashed nothing");
        for (ino, (md5, sha1, _)) in &theirs {
            let mine = ours
                .get(ino)
                .unwrap_or_else(|| panic!("{name} inode {ino}: no digest of ours"));
            // A deleted FAT file's clusters are a guess, and TSK's differs.
            if name.starts_with("fat") && mine.2 {
                continue;
            }
            assert_eq!((&mine.0, &mine.1), (md5, sha1), "{name} inode {ino}");
            compared += 1;
        }
    }
    assert!(compared >= 30, "only {compared} files compared");
}

/// A pipe whose reader goes away after the first line (`| head -1`).
#[derive(Default)]
struct ClosedAfterOneLine {
    written: Vec<u8>,
}

impl std::io::Write for ClosedAfterOneLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written.contains(&b'\n') {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_bodyfile_is_written_row_by_row_and_stops_at_a_closed_pipe() {
    use imginspect::analysis::{ScanOptions, scan};
    let image = imginspect::image::Image::open(&samples_dir().join("deleted-reused.img")).unwrap();
    let result = scan(&image, &ScanOptions::default(), &imginspect::fs::NoProgress);
    let whole =
        imginspect::report::to_bytes(|out| imginspect::report::listing::bodyfile(&result, out));
    assert!(whole.iter().filter(|&&b| b == b'\n').count() > 2);
    let mut pipe = ClosedAfterOneLine::default();
    let error = imginspect::report::listing::bodyfile(&result, &mut pipe).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe);
    // The first row reached the pipe before the next one was made, and
    // nothing was written after the pipe closed.
    let first_row = whole.iter().position(|&b| b == b'\n').unwrap() + 1;
    assert_eq!(pipe.written, whole[..first_row]);
}
