//! End to end: the real binary in a real terminal (tmux), driven by keys and
//! read back with capture-pane. Under CI a missing tmux fails the test.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(command: &str, width: u16, height: u16) -> Tmux {
        // One server per test: tests run in parallel within this process.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("imginspect-test-{}-{n}", std::process::id());
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "t",
            ])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(command)
            .env_remove("NO_COLOR")
            .env("TERM", "xterm-256color")
            .status()
            .expect("start tmux");
        assert!(status.success());
        Tmux { socket }
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", "-t", "t", k])
                .status()
                .expect("send-keys");
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen contains `text`, or fails with what it shows.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {text:?}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn the_inspector_shows_the_crosslink_and_restores_the_terminal() {
    if !common::have_tool("tmux") {
        return;
    }
    let image = common::samples_dir().join("shadow-crosslink.img");
    // After the inspector exits, print its status and whether the terminal is
    // back in canonical (cooked) mode, then wait to be read.
    let command = format!(
        "{} '{}'; echo EXITED:$?; stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon'; sleep 30",
        env!("CARGO_BIN_EXE_imginspect"),
        image.display()
    );
    let tmux = Tmux::start(&command, 100, 30);
    let screen = tmux.wait_for("Findings, worst first");
    assert!(screen.contains("CRITICAL"), "{screen}");
    assert!(screen.contains("/etc/shadow"), "{screen}");

    tmux.keys(&["2", "x"]);
    let screen = tmux.wait_for("cross-linked only");
    assert!(screen.contains("/etc/shadow"), "{screen}");
    assert!(screen.contains("/home/user/notes.txt"), "{screen}");

    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Inode 14 (CROSS-LINKED)");
    assert!(
        screen.contains("shared with /home/user/notes.txt"),
        "{screen}"
    );

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED:");
    assert!(screen.contains("EXITED:0"), "{screen}");
    // The alternate screen was left: the inspector's frame is gone.
    assert!(!screen.contains("Findings, worst first"), "{screen}");
    let mode = screen
        .lines()
        .find(|l| l.trim().ends_with("icanon"))
        .unwrap_or_else(|| panic!("no stty output: {screen}"));
    assert_eq!(mode.trim(), "icanon", "raw mode left on: {screen}");
}

#[test]
fn the_demo_runs_from_the_binary_alone_and_quits_on_ctrl_c() {
    if !common::have_tool("tmux") {
        return;
    }
    let command = format!(
        "cd /; {} demo; echo EXITED:$?; sleep 30",
        env!("CARGO_BIN_EXE_imginspect")
    );
    let tmux = Tmux::start(&command, 80, 24);
    let screen = tmux.wait_for("Findings, worst first");
    assert!(screen.contains("demo: shadow-crosslink.img"), "{screen}");
    tmux.keys(&["4", "n"]);
    let screen = tmux.wait_for("block 13");
    assert!(screen.contains("X"), "{screen}");
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("EXITED:");
    assert!(screen.contains("EXITED:0"), "{screen}");
}

#[test]
fn an_unreadable_image_is_reported_before_the_screen_is_taken() {
    if !common::have_tool("tmux") {
        return;
    }
    let command = format!(
        "{} /nonexistent/image.img; echo EXITED:$?; sleep 30",
        env!("CARGO_BIN_EXE_imginspect")
    );
    let tmux = Tmux::start(&command, 100, 10);
    let screen = tmux.wait_for("EXITED:");
    assert!(
        screen.contains("imginspect: /nonexistent/image.img"),
        "{screen}"
    );
    assert!(screen.contains("EXITED:8"), "{screen}");
}

#[test]
fn an_image_truncated_while_mapped_is_reported_not_a_silent_crash() {
    if !common::have_tool("tmux") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("shrinking.img");
    std::fs::copy(common::samples_dir().join("shadow-crosslink.img"), &copy).unwrap();
    let command = format!(
        "{} '{}'; echo EXITED:$?; sleep 30",
        env!("CARGO_BIN_EXE_imginspect"),
        copy.display()
    );
    let tmux = Tmux::start(&command, 100, 30);
    tmux.wait_for("Findings, worst first");
    // Another process truncates the evidence while the inspector has it mapped.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&copy)
        .unwrap()
        .set_len(0)
        .unwrap();
    // Opening a block reads its bytes through the map.
    tmux.keys(&[":", "1", "3", "Enter"]);
    let screen = tmux.wait_for("EXITED:");
    assert!(screen.contains("EXITED:8"), "{screen}");
    assert!(screen.contains("shrank"), "{screen}");
    assert!(
        !screen.contains("Findings, worst first"),
        "alternate screen not left: {screen}"
    );
}

#[test]
fn a_tui_session_leaves_the_image_unchanged() {
    if !common::have_tool("tmux") {
        return;
    }
    let path = common::samples_dir().join("hostile-names.img");
    let before = std::fs::read(&path).unwrap();
    let command = format!(
        "{} '{}'; echo EXITED:$?; sleep 30",
        env!("CARGO_BIN_EXE_imginspect"),
        path.display()
    );
    let tmux = Tmux::start(&command, 100, 30);
    tmux.wait_for("Findings, worst first");
    tmux.keys(&["2", "Enter", "4", "n", "Enter", "5", "b", "7", "q"]);
    let screen = tmux.wait_for("EXITED:");
    assert!(screen.contains("EXITED:0"), "{screen}");
    assert!(std::fs::read(&path).unwrap() == before, "the image changed");
}

#[test]
fn the_heatmap_picture_is_saved_by_the_worker_into_the_current_directory() {
    if !common::have_tool("tmux") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let image = common::samples_dir().join("shadow-crosslink.img");
    let command = format!(
        "cd '{}'; {} '{}'; echo EXITED:$?; sleep 30",
        dir.path().display(),
        env!("CARGO_BIN_EXE_imginspect"),
        image.display()
    );
    let tmux = Tmux::start(&command, 100, 30);
    tmux.wait_for("Findings, worst first");
    tmux.keys(&["4", "e"]);
    tmux.wait_for("heatmap saved to ./shadow-crosslink.img-heatmap.png");
    let png = std::fs::read(dir.path().join("shadow-crosslink.img-heatmap.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED:");
    assert!(screen.contains("EXITED:0"), "{screen}");
}

#[test]
fn a_partitioned_disk_lists_its_volumes_and_explores_each() {
    if !common::have_tool("tmux") {
        return;
    }
    let image = common::samples_dir().join("gpt-two-partitions.img");
    let command = format!(
        "{} '{}'; echo EXITED:$?; sleep 30",
        env!("CARGO_BIN_EXE_imginspect"),
        image.display()
    );
    let tmux = Tmux::start(&command, 100, 30);
    let screen = tmux.wait_for("GPT disk, 2 partitions");
    assert!(screen.contains("linux-shadow"), "{screen}");
    tmux.keys(&["j", "Enter"]);
    let screen = tmux.wait_for("on GPT partition 2");
    assert!(screen.contains("/etc/shadow"), "{screen}");
    tmux.keys(&["v"]);
    tmux.wait_for("GPT disk, 2 partitions");
    tmux.keys(&["k", "Enter"]);
    let screen = tmux.wait_for("on GPT partition 1");
    assert!(screen.contains("fat12"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("GPT disk, 2 partitions");
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED:");
    assert!(screen.contains("EXITED:0"), "{screen}");
}
