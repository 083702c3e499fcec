//! Integration tests of the engine against a real throwaway Postgres.
#![allow(unreachable_pub)] // test modules share items with pub; the crate is a test binary

mod bad_input;
mod budget;
mod cancel;
mod chaos;
mod clock;
mod concurrency;
mod crash;
mod cron;
mod determinism;
mod fence;
mod flows;
mod inspect;
mod leader;
mod logs;
mod panic;
mod park;
mod race;
mod replay;
mod retry;
mod shutdown;
mod signal;
mod slots;
mod start;
mod step_timeout;
mod support;
