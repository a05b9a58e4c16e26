fn main() {
    let line = std::fs::read_to_string("/tmp/prof/archive/index/p1.jsonl").unwrap();
    let v: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    let text = v["text"].as_str().unwrap().to_string();
    println!("text {} bytes {} chars", text.len(), text.chars().count());
    let t = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..2000 {
        baoluu::extract::for_each_word(
            std::hint::black_box(&text),
            baoluu::extract::Gaps::Whitespace,
            |w, _| n += w.len(),
        );
    }
    println!(
        "for_each_word: {:.1} µs ({n})",
        t.elapsed().as_secs_f64() * 1e6 / 2000.0
    );
    let t = std::time::Instant::now();
    for _ in 0..2000 {
        n += baoluu::extract::nfc(std::hint::black_box(&text)).len();
    }
    println!(
        "nfc: {:.1} µs ({n})",
        t.elapsed().as_secs_f64() * 1e6 / 2000.0
    );
    let t = std::time::Instant::now();
    for _ in 0..2000 {
        n += std::hint::black_box(&text).split_whitespace().count();
    }
    println!(
        "split_whitespace count: {:.1} µs ({n})",
        t.elapsed().as_secs_f64() * 1e6 / 2000.0
    );
}
