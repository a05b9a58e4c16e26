//! crawl: to be written.
