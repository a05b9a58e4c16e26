//! politeness: to be written.
