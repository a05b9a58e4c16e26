//! scope: to be written.
