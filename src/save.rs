//! save: to be written.
