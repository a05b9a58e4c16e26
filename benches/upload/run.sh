#!/usr/bin/env bash
# Upload throughput to a real S3-compatible server (issue 18; BENCHMARKS.md): FILES closed WARC
# files of SIZE_MIB MiB each are placed in a fresh archive, `baoluu crawl` (one portal on a
# loopback port that refuses connections, so the run itself is short) uploads them to s3s-fs on
# 127.0.0.1 — streamed with SHA-256, then read back and hashed again — and the figure is the
# bytes verified over the time from the first queued upload to the last verified one, from the
# crawl's own JSON log. Usage: benches/upload/run.sh [BAOLUU_BIN] (default target/release/baoluu);
# BAOLUU_S3S_BIN as for the tests; FILES (default 4), SIZE_MIB (default 64), CONCURRENCY (2).
set -euo pipefail
bin="${1:-target/release/baoluu}"
s3s="${BAOLUU_S3S_BIN:?set BAOLUU_S3S_BIN (./.ci/s3-server prints it)}"
files="${FILES:-4}" size="${SIZE_MIB:-64}" concurrency="${CONCURRENCY:-2}"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
mkdir -p "$work/s3/bench" "$work/archive/warc"
port=$((20000 + RANDOM % 20000))
"$s3s" --host 127.0.0.1 --port "$port" --access-key bench --secret-key bench-secret "$work/s3" \
    >/dev/null 2>&1 &
server=$!
for i in $(seq 1 "$files"); do
    head -c "$((size * 1024 * 1024))" /dev/urandom >"$work/archive/warc/bench-$i.warc.gz"
done
cat >"$work/baoluu.toml" <<TOML
[crawler]
user_agent = "baoluu-bench/0.1 (+mailto:archive@example.org)"
archive_dir = "archive"
min_free_space = "1MB"
retries = 0

[[portal]]
name = "idle"
seeds = ["http://127.0.0.1:9/"]
hosts = ["127.0.0.1:9"]
article_urls = ['^http://127\.0\.0\.1:9/a/\d+$']
listing_urls = []

[storage]
url = "s3://bench/run"
endpoint = "http://127.0.0.1:$port"
instance = "bench"
concurrency = $concurrency
TOML
sleep 1
AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret RUST_LOG=baoluu=debug \
    "$bin" --config "$work/baoluu.toml" --log-format json crawl 2>"$work/log.json" || true
python3 - "$work/log.json" "$files" "$size" <<'PY'
import json, sys
from datetime import datetime
events = []
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    msg = e.get("fields", {}).get("message", "")
    if msg in ("upload_queued", "upload_verified"):
        events.append((msg, datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00"))))
start = min(t for m, t in events if m == "upload_queued")
end = max(t for m, t in events if m == "upload_verified")
verified = sum(1 for m, _ in events if m == "upload_verified")
mib = int(sys.argv[2]) * int(sys.argv[3])
secs = (end - start).total_seconds()
print(f"{verified} objects verified; {mib} MiB of WARC in {secs:.2f} s: {mib / secs:.1f} MiB/s "
      f"(each byte sent once and read back once)")
PY
