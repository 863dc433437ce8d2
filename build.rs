//! Embeds the git commit the harness is built from, for every report's
//! identity: `<sha>`, `<sha>-dirty` when tracked files differ from it, or
//! `unknown` outside a checkout (a crate tarball, say).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
}

fn main() {
    // Only this crate's own checkout: not a repository it was copied into.
    let here = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let top = git(&["-C", &here, "rev-parse", "--show-toplevel"]);
    let own = top
        .as_deref()
        .is_some_and(|t| std::fs::canonicalize(t).ok() == std::fs::canonicalize(&here).ok());
    let commit = git(&["-C", &here, "rev-parse", "HEAD"])
        .filter(|s| own && s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()));
    let id = match commit {
        Some(sha) => {
            let dirty = git(&["-C", &here, "status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty { format!("{sha}-dirty") } else { sha }
        }
        None => "unknown".to_owned(),
    };
    println!("cargo:rustc-env=CDM_GIT_COMMIT={id}");
    // A new commit or checkout rebuilds the identity (the git directory may
    // be elsewhere: a worktree); so does a change to a tracked file's index.
    if let Some(dir) = git(&["-C", &here, "rev-parse", "--absolute-git-dir"]) {
        for name in ["HEAD", "index", "packed-refs", "refs/heads"] {
            let path = std::path::Path::new(&dir).join(name);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
