//! A watching proxy in front of the test S3 server: the client talks to it as to the server,
//! and for each request it records the request line and what a look at the client's side
//! (a folder listing, say) showed the moment the request arrived, before forwarding it. So a
//! test sees, from the server's side, what the client held on disk when it asked for each
//! object, without hooks in the code under test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request through the proxy: its request line (`GET /bucket/key HTTP/1.1`) and the look.
#[derive(Debug, Clone)]
pub struct Seen {
    pub request: String,
    pub look: Vec<String>,
}

/// A running proxy; its threads end with the test process.
pub struct Watch {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

type Look = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

impl Watch {
    /// Forwards to `upstream`, taking `look` at each request.
    pub fn start(
        upstream: SocketAddr,
        look: impl Fn() -> Vec<String> + Send + Sync + 'static,
    ) -> Watch {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (log, look): (_, Look) = (Arc::clone(&seen), Arc::new(look));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (log, look) = (Arc::clone(&log), Arc::clone(&look));
                std::thread::spawn(move || relay(client, upstream, &log, &look));
            }
        });
        Watch { addr, seen }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// One client connection: answers flow back untouched; requests are read head by head (with
/// their `Content-Length` bodies) so each is seen before it is forwarded.
fn relay(client: TcpStream, upstream: SocketAddr, log: &Mutex<Vec<Seen>>, look: &Look) {
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    let (mut back_from, mut back_to) = (server.try_clone().unwrap(), client.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut back_from, &mut back_to);
        let _ = back_to.shutdown(Shutdown::Write);
    });
    let mut requests = BufReader::new(client);
    while let Some((head, body)) = read_head(&mut requests) {
        let request = head.lines().next().unwrap_or_default().to_string();
        log.lock().unwrap().push(Seen {
            request,
            look: look(),
        });
        if server.write_all(head.as_bytes()).is_err() {
            break;
        }
        let mut rest = (&mut requests).take(body);
        if std::io::copy(&mut rest, &mut server).is_err() {
            break;
        }
    }
    let _ = server.shutdown(Shutdown::Write);
}

/// The next request head (through its blank line) and its body length, or `None` at the end.
fn read_head(from: &mut impl BufRead) -> Option<(String, u64)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if from.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    };
    assert!(
        header("Transfer-Encoding").is_none(),
        "the watching proxy reads only Content-Length bodies: {head}"
    );
    let body = header("Content-Length").and_then(|n| n.parse().ok());
    Some((head, body.unwrap_or(0)))
}
