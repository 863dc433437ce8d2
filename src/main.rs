//! The `cdm-conformance` command line; see `cdm-conformance --help`.

fn main() -> std::process::ExitCode {
    cdm_conformance::cli::main()
}
