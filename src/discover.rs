//! discover: to be written.
