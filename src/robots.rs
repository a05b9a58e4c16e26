//! robots: to be written.
