#!/usr/bin/env python3
"""trafilatura on the pages the extraction benchmark scores, in the same run (issue 8).

Called by `cargo bench --bench extract` when BAOLUU_TRAFILATURA_PYTHON names a Python that has
trafilatura. Reads a manifest (JSON list of {"path", "url"}: decoded HTML files the bench wrote),
extracts each page once for the quality score, then repeats the whole set for at least two
seconds on this one thread for the speed, and writes {"texts", "pages", "bytes", "rounds",
"wall", "cpu", "version"} as JSON. Scoring happens in Rust, with the same functions as for
baoluu, so both extractors are judged alike.
"""
import json
import sys
import time

import trafilatura

MIN_ELAPSED = 2.0


def extract(html, url):
    # Defaults, plain text: what a user of trafilatura gets for an article body.
    text = trafilatura.extract(html, url=url, output_format="txt", include_comments=False)
    return text or ""


def main():
    manifest, out = sys.argv[1], sys.argv[2]
    with open(manifest, encoding="utf-8") as f:
        entries = json.load(f)
    pages = []
    for entry in entries:
        with open(entry["path"], encoding="utf-8") as f:
            pages.append((f.read(), entry["url"]))
    texts = [extract(html, url) for html, url in pages]  # also the warm-up
    rounds, wall0, cpu0 = 0, time.perf_counter(), time.thread_time()
    while time.perf_counter() - wall0 < MIN_ELAPSED:
        for html, url in pages:
            extract(html, url)
        rounds += 1
    result = {
        "texts": texts,
        "pages": len(pages),
        "bytes": sum(len(h.encode("utf-8")) for h, _ in pages),
        "rounds": rounds,
        "wall": time.perf_counter() - wall0,
        "cpu": time.thread_time() - cpu0,
        "version": trafilatura.__version__,
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
