//! Shared support for integration tests: `mod support;` in a test file, then
//! `use support::{Fixture, Reply};`.
//!
//! Each test binary compiles this module anew and uses a part of it, hence the allow.
#![allow(dead_code, unused_imports)]

pub mod cli;
pub mod fixture;
pub mod history;
pub mod hostile;
pub mod portal;
pub mod portal_extra;
pub mod pywb;
pub mod s3;
pub mod s3_watch;
pub mod shipping;
pub mod wait;
pub mod world;

pub use fixture::{Fixture, Logged, Reply};
