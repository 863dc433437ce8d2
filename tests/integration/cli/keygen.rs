//! `keygen` writes a working RSA-2048 pair, privately, and overwrites nothing.

use crate::cli::run;

#[test]
fn keygen_writes_a_pair_that_signs_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keys");
    let out_s = out.to_str().unwrap();
    let r = run(&["keygen", "--out", out_s], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let private = out.join("private.pem");
    let public = out.join("public.pem");
    assert!(
        std::fs::read_to_string(&private)
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----\n")
    );
    assert!(
        std::fs::read_to_string(&public)
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----\n")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&private).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The printed base64 DER is the same public key.
    let der = r.stdout.lines().last().unwrap().rsplit(' ').next().unwrap();
    let from_print = cdm_conformance::VerifyingKey::from_pem_or_base64(der).unwrap();
    assert_eq!(
        from_print.to_spki_pem().unwrap(),
        std::fs::read_to_string(&public).unwrap()
    );
    // Nothing secret on the console.
    let pem = std::fs::read_to_string(&private).unwrap();
    assert!(
        pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .all(|l| !r.stdout.contains(l))
    );

    let ts = "2024-01-01T00:00:00+07:00";
    let s = run(
        &[
            "sign",
            "--private-key",
            private.to_str().unwrap(),
            "--client-key",
            "ck",
            "--timestamp",
            ts,
        ],
        &[],
    );
    let sig = s
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .trim_start_matches("X-SIGNATURE: ");
    let v = run(
        &[
            "verify",
            "--public-key",
            public.to_str().unwrap(),
            "--client-key",
            "ck",
            "--timestamp",
            ts,
            "--signature",
            sig,
        ],
        &[],
    );
    assert_eq!((v.code, v.stdout.as_str()), (0, "valid\n"));
    let key = cdm_conformance::SigningKey::from_file(&private).unwrap();
    assert_eq!(key.bits(), 2048);
}

#[test]
fn keygen_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    std::fs::write(dir.path().join("private.pem"), "precious").unwrap();
    let r = run(&["keygen", "--out", out], &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("private.pem already exists; pass --force to overwrite it"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("private.pem")).unwrap(),
        "precious"
    );
    assert!(!dir.path().join("public.pem").exists());
    let forced = run(&["keygen", "--out", out, "--force"], &[]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_ne!(
        std::fs::read_to_string(dir.path().join("private.pem")).unwrap(),
        "precious"
    );
}

#[test]
fn keygen_into_an_unwritable_place_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let r = run(
        &["keygen", "--out", file.join("sub").to_str().unwrap()],
        &[],
    );
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: cannot write "), "{}", r.stderr);
}
