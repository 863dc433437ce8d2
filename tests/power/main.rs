//! Proof of power: the suites catch deliberately faulty implementations, by a
//! case that names the fault, and pass the faithful ones.

#[path = "../common/mod.rs"]
mod common;

mod faulty_clients;
mod faulty_servers;
mod fuzz_checks;
mod hostile_servers;
mod reliability;
