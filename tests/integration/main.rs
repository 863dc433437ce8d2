//! Every integration test but the server suite, in one binary: one link,
//! one process to start, modules by concern. `cargo test --test integration
//! spec::` runs one concern.
//!
//! | module | what it holds |
//! |---|---|
//! | `spec` | `specs/` against the API text; loader and compile refusals; schemas; the sibling fixture |
//! | `wire` | timestamps, keys, signatures, the signed request |
//! | `cli` | every command, run as a user runs it |
//! | `simulator` | the simulator's answers and robustness |
//! | `power` | the proof of power: faulty servers and clients caught by name, hostile peers, fuzzing, reliability |
//! | `report` | every rendering snapshotted, secrets, peer text as data, the browser |

mod common;

mod cli;
mod power;
mod proxy;
mod report;
mod simulator;
mod spec;
mod wire;
