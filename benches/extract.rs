//! Extraction benchmark (issue 4): body token F1 against labels, and pages per second.
fn main() {}
