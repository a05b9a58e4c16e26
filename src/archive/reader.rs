//! Offset-aware WARC reader: one gzip member at a time.
