//! Interrupted runs: SIGINT and SIGTERM while the report is being written remove the temporary run directory and
//! exit 130 and 143; a directory a killed run (`kill -9`) left is removed, and reported, by the next run, and never
//! counted as a run.

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use crate::support::*;

/// Starts `demo --out runs` in `work`, holding the finished temporary directory 20 s before its rename, and waits
/// (bounded) until it is there. Returns the child and the temporary directory's name.
fn start_writing(work: &Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["demo", "--out", "runs"])
        .current_dir(work)
        .env("KAFKA_FINOPS_PAUSE_BEFORE_RENAME_MS", "20000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..600 {
        let tmp = entries(&work.join("runs")).into_iter().find(|n| n.starts_with(".tmp-"));
        if let Some(name) = tmp.filter(|n| work.join("runs").join(n).join("run.json").exists()) {
            return (child, name);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the run never reached its temporary directory within 60 s");
}

fn signal(child: &Child, name: &str) {
    let number = match name {
        "TERM" => libc::SIGTERM,
        "INT" => libc::SIGINT,
        "KILL" => libc::SIGKILL,
        other => panic!("no signal {other} here"),
    };
    // SAFETY: kill(2) on our own child's pid; no memory is shared.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, number) };
    assert_eq!(sent, 0, "kill -{name}");
}

/// Waits (bounded: 30 s) for the child's exit code; None when a signal ended it.
fn wait(child: &mut Child) -> Option<i32> {
    for _ in 0..300 {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the run did not end within 30 s of its signal");
}

#[test]
fn sigterm_and_sigint_while_writing_remove_the_temporary_directory() {
    for (name, code) in [("TERM", 143), ("INT", 130)] {
        let work = tempfile::tempdir().unwrap();
        let (mut child, tmp) = start_writing(work.path());
        signal(&child, name);
        assert_eq!(wait(&mut child), Some(code), "SIG{name}");
        assert!(
            entries(&work.path().join("runs")).is_empty(),
            "SIG{name} left {tmp} or a run: {:?}",
            entries(&work.path().join("runs"))
        );
    }
}

#[test]
fn a_directory_a_killed_run_left_is_removed_and_reported_by_the_next_run() {
    let work = tempfile::tempdir().unwrap();
    let (mut child, tmp) = start_writing(work.path());
    signal(&child, "KILL");
    assert_eq!(wait(&mut child), None, "killed by SIGKILL");
    assert!(entries(&work.path().join("runs")).contains(&tmp), "kill -9 cannot clean up: {tmp} stays");

    let hist = run(&["history", "--out", "runs"], work.path());
    assert!(!hist.stdout.contains(".tmp-"), "never counted as a run: {}", hist.stdout);
    let next = run(&["demo", "--out", "runs"], work.path());
    assert_eq!(next.code, 0, "{}", next.stderr);
    assert!(next.stderr.contains(&format!("removed runs/{tmp}")), "reported: {}", next.stderr);
    let left = entries(&work.path().join("runs"));
    assert_eq!(left.len(), 1, "only the new run: {left:?}");
    assert!(!left[0].starts_with(".tmp-"));
}

/// The README's exit-code table lists every code the binary exits with: the three outcomes, and the two a signal
/// gives (a monitor that sees 143 must find what it means).
#[test]
fn the_readme_lists_every_exit_code() {
    use kafka_finops::error::Exit;
    use kafka_finops::output::{EXIT_INTERRUPTED, EXIT_TERMINATED};
    let outcome = |e: Exit| {
        // A new outcome fails to compile here until it is listed.
        match e {
            Exit::Complete | Exit::Partial | Exit::Failed => e as i32,
        }
    };
    let mut want: Vec<i32> = [Exit::Complete, Exit::Partial, Exit::Failed].map(outcome).to_vec();
    want.extend([EXIT_INTERRUPTED, EXIT_TERMINATED]);
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let table = readme.split("### Exit codes").nth(1).expect("README has an `### Exit codes` section");
    let listed: Vec<i32> = table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.trim_start_matches('|').split('|').next()?.trim().parse().ok())
        .collect();
    assert_eq!(listed, want, "README.md's exit-code table against the codes the binary exits with");
    let help = std::process::Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for code in [EXIT_INTERRUPTED, EXIT_TERMINATED] {
        assert!(help.contains(&code.to_string()), "`--help` does not explain exit code {code}:\n{help}");
    }
    // Each deployment recipe says what it does with every code but 0: the table has a column per code.
    let deploy = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/README.md")).unwrap();
    let header = deploy.lines().find(|l| l.starts_with("| recipe")).expect("deploy/README.md's table");
    for code in &want[1..] {
        assert!(header.contains(&format!("exit {code}")) || header.contains(&format!("/ {code}")), "{code}: {header}");
    }
    let rows = deploy.lines().skip_while(|l| !l.starts_with("| recipe")).skip(2).take_while(|l| l.starts_with('|'));
    for row in rows {
        assert_eq!(row.matches('|').count(), header.matches('|').count(), "every recipe fills every column: {row}");
    }
}

/// The signal lands while the handoff packs are being written (every file slowed to 30 ms): the temporary directory
/// is gone when the tool says it removed it, and no pack written after the signal brings it back.
#[test]
fn a_signal_racing_the_packs_being_written_leaves_nothing_and_says_so_only_once_it_is_gone() {
    for (name, code) in [("INT", 130), ("TERM", 143)] {
        let work = tempfile::tempdir().unwrap();
        let mut child = Command::new(BIN)
            .args(["demo", "--out", "runs"])
            .current_dir(work.path())
            .env("KAFKA_FINOPS_PAUSE_PER_FILE_MS", "30")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait (bounded) until some packs are written and more are coming.
        let runs = work.path().join("runs");
        let mut tmp = None;
        for _ in 0..600 {
            let found = entries(&runs).into_iter().find(|n| n.starts_with(".tmp-"));
            if let Some(n) = found.filter(|n| entries(&runs.join(n).join("owners")).len() >= 2) {
                tmp = Some(n);
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let tmp = tmp.unwrap_or_else(|| panic!("SIG{name}: no pack was being written within 3 s"));
        signal(&child, name);
        assert_eq!(wait(&mut child), Some(code), "SIG{name}");
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        assert!(stderr.contains(&format!("interrupted: removed runs/{tmp}")), "{stderr}");
        assert!(entries(&runs).is_empty(), "SIG{name} left {:?}", entries(&runs));
    }
}
