//! canonical: to be written.
