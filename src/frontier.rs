//! frontier: to be written.
