//! Shared by every test binary: fixture paths and the one place the snapshot
//! directory is set.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The crate's root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// A file under `src/testkeys/`.
pub fn testkey(name: &str) -> PathBuf {
    root().join("src/testkeys").join(name)
}

/// Reads a fixture as text.
pub fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// insta settings for every snapshot of the project: all of them live in the
/// top-level `snapshots/` directory.
pub fn snapshots() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// Asserts a snapshot under `snapshots/`.
#[macro_export]
macro_rules! snap {
    ($name:expr, $value:expr) => {
        $crate::common::snapshots().bind(|| insta::assert_snapshot!($name, $value))
    };
}

/// Asserts a JSON snapshot under `snapshots/`.
#[macro_export]
macro_rules! snap_json {
    ($name:expr, $value:expr) => {
        $crate::common::snapshots().bind(|| insta::assert_json_snapshot!($name, $value))
    };
}

/// Whether a test that needs an outside tool must fail, not skip, when the
/// tool is missing: always under CI.
pub fn required_under_ci(tool: &str) -> bool {
    let found = std::process::Command::new(tool)
        .arg("version")
        .output()
        .is_ok();
    if !found && std::env::var_os("CI").is_some() {
        panic!("{tool} is required under CI (.ci/run installs it)");
    }
    found
}

/// A child process killed (and reaped) when the guard drops: a server a
/// test started never outlives it.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
