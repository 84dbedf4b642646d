//! `netdelay --queue N --delay-ms D [--loss P]`: holds every packet of NFQUEUE queue `N` for
//! `D` milliseconds, then accepts it; drops each with probability `P` first.
//!
//! The kernel of the test machines has no `sch_netem`, so [`traefikee_testkit::netns::Net`]
//! delays packets with an iptables `NFQUEUE` rule and this program. Packets leave in the order
//! they came (the delay is the same for all of them). It prints `ready` once the queue is
//! bound, and runs until its standard input closes (the kit closes it, or the test process
//! died): it then lets every held packet through at once and exits.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nfq::{Queue, Verdict};

/// Packets the kernel may hold for us before it drops new ones (its default is 1024).
const QUEUE_MAX_LEN: u32 = 65_536;
/// How long to sleep when nothing is due: the latency added to the configured delay.
const TICK: Duration = Duration::from_millis(1);

struct Config {
    queue: u16,
    delay: Duration,
    loss: f64,
}

fn usage(why: &str) -> ! {
    eprintln!("error: {why}\nusage: netdelay --queue N --delay-ms D [--loss P]");
    std::process::exit(2)
}

fn parse_args() -> Config {
    let mut queue = None;
    let mut delay = None;
    let mut loss = 0.0;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--queue" => queue = Some(value.parse().unwrap_or_else(|_| usage("--queue takes 0..65535"))),
            "--delay-ms" => {
                delay = Some(Duration::from_millis(value.parse().unwrap_or_else(|_| usage("--delay-ms takes ms"))))
            }
            "--loss" => {
                loss = value.parse().unwrap_or_else(|_| usage("--loss takes a probability"));
                if !(0.0..=1.0).contains(&loss) {
                    usage("--loss takes a probability between 0 and 1");
                }
            }
            _ => usage(&format!("unknown flag {flag}")),
        }
    }
    Config {
        queue: queue.unwrap_or_else(|| usage("--queue is required")),
        delay: delay.unwrap_or_else(|| usage("--delay-ms is required")),
        loss,
    }
}

fn open(queue_num: u16) -> std::io::Result<Queue> {
    let mut queue = Queue::open()?;
    queue.bind(queue_num)?;
    // Metadata only: the verdict does not need the payload, and each held message keeps its
    // receive buffer alive.
    queue.set_copy_range(queue_num, 0)?;
    queue.set_queue_max_len(queue_num, QUEUE_MAX_LEN)?;
    // Fail closed: if we cannot keep up, packets are lost rather than let through undelayed.
    queue.set_fail_open(queue_num, false)?;
    queue.set_nonblocking(true);
    Ok(queue)
}

fn main() {
    let config = parse_args();
    let mut queue = open(config.queue).unwrap_or_else(|e| {
        eprintln!("error: cannot bind NFQUEUE queue {}: {e}", config.queue);
        std::process::exit(1)
    });

    let closed = Arc::new(AtomicBool::new(false));
    let flag = closed.clone();
    std::thread::spawn(move || {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        flag.store(true, Ordering::Relaxed);
    });

    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "ready").and_then(|()| stdout.flush());

    let mut held = VecDeque::new();
    loop {
        let stopping = closed.load(Ordering::Relaxed);
        loop {
            match queue.recv() {
                Ok(mut msg) => {
                    if config.loss > 0.0 && rand::random_bool(config.loss) {
                        msg.set_verdict(Verdict::Drop);
                        send(&mut queue, msg);
                    } else {
                        held.push_back((Instant::now() + config.delay, msg));
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    eprintln!("netdelay: receive from queue {}: {e}", config.queue);
                    break;
                }
            }
        }
        let now = Instant::now();
        while held.front().is_some_and(|(due, _)| stopping || *due <= now) {
            let (_, mut msg) = held.pop_front().expect("front exists");
            msg.set_verdict(Verdict::Accept);
            send(&mut queue, msg);
        }
        if stopping {
            return;
        }
        let nap = held.front().map_or(TICK, |(due, _)| due.saturating_duration_since(now).min(TICK));
        std::thread::sleep(nap);
    }
}

fn send(queue: &mut Queue, msg: nfq::Message) {
    if let Err(e) = queue.verdict(msg) {
        eprintln!("netdelay: verdict: {e}");
    }
}
