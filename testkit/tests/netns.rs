//! The network-namespace kit against real sockets: partitions, one-way partitions, loss and
//! delay do what they say, heal undoes them, and dropping a `Net` removes its namespaces.
//!
//! These need root, iproute2 and iptables; without them `Net::new` panics and they fail.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use traefikee_testkit::{wait_for, Net};

const SHORT: Duration = Duration::from_millis(500);

fn net(hosts: usize) -> Net {
    Net::new(hosts).with_netdelay(env!("CARGO_BIN_EXE_netdelay"))
}

/// A TCP echo server listening on a host of a `Net`, stopped when dropped.
struct Echo {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Echo {
    fn start(net: &Net, host: usize) -> Echo {
        let ip = net.ip(host);
        // Bound inside the namespace; the socket stays there whichever thread serves it.
        let listener = net.spawn_in(host, move || TcpListener::bind((ip, 7000)).expect("bind echo")).join().unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        std::thread::spawn(move || echo(conn));
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(5)),
                    Err(e) => panic!("accept: {e}"),
                }
            }
        });
        Echo { addr, stop, thread: Some(thread) }
    }
}

fn echo(mut conn: TcpStream) {
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut buf = [0u8; 1024];
    while let Ok(n) = conn.read(&mut buf) {
        if n == 0 || conn.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A connection from host `from` (opened in its namespace).
fn connect(net: &Net, from: usize, addr: SocketAddr, timeout: Duration) -> std::io::Result<TcpStream> {
    net.spawn_in(from, move || TcpStream::connect_timeout(&addr, timeout)).join().unwrap()
}

/// Sends a line and waits for it back; returns the round trip.
fn round_trip(conn: &mut TcpStream, timeout: Duration) -> std::io::Result<Duration> {
    conn.set_read_timeout(Some(timeout))?;
    let start = Instant::now();
    conn.write_all(b"ping")?;
    let mut buf = [0u8; 4];
    conn.read_exact(&mut buf)?;
    assert_eq!(&buf, b"ping");
    Ok(start.elapsed())
}

/// Whether host `from` can open a connection to `addr` and exchange a line over it.
fn reaches(net: &Net, from: usize, addr: SocketAddr) -> bool {
    connect(net, from, addr, SHORT).and_then(|mut c| round_trip(&mut c, SHORT)).is_ok()
}

/// Sends `count` numbered datagrams from host `from` to host `to`; returns the numbers that
/// arrived, in arrival order. Done when all arrived or none came for `quiet`.
fn datagrams(net: &Net, from: usize, to: usize, count: u32, quiet: Duration) -> Vec<u32> {
    let (src, dst) = (net.ip(from), net.ip(to));
    let receiver = net.spawn_in(to, move || UdpSocket::bind((dst, 0)).expect("bind receiver")).join().unwrap();
    let sender = net.spawn_in(from, move || UdpSocket::bind((src, 0)).expect("bind sender")).join().unwrap();
    let target = receiver.local_addr().unwrap();
    receiver.set_read_timeout(Some(quiet)).unwrap();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 64];
        while seen.len() < count as usize {
            match receiver.recv(&mut buf) {
                Ok(4) => seen.push(u32::from_be_bytes(buf[..4].try_into().unwrap())),
                Ok(n) => panic!("unexpected datagram of {n} bytes"),
                Err(_) => break,
            }
        }
        seen
    });
    for i in 0..count {
        sender.send_to(&i.to_be_bytes(), target).expect("send");
        // About 10,000 a second: far below what the sockets and netdelay queue hold.
        if i % 10 == 9 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    reader.join().unwrap()
}

#[test]
fn hosts_reach_each_other_and_partitions_cut_them() {
    let net = net(3);
    let echo2 = Echo::start(&net, 2);
    let echo3 = Echo::start(&net, 3);
    assert!(reaches(&net, 1, echo2.addr));
    assert!(reaches(&net, 1, echo3.addr));

    let mut open = connect(&net, 1, echo2.addr, SHORT).unwrap();
    round_trip(&mut open, SHORT).unwrap();

    net.partition(&[1], &[2]);
    net.partition(&[1], &[2]); // idempotent: heal must still undo it in one go
    assert!(!reaches(&net, 1, echo2.addr), "1 reached 2 across the partition");
    assert!(!reaches(&net, 2, Echo::start(&net, 1).addr), "2 reached 1 across the partition");
    assert!(reaches(&net, 1, echo3.addr), "the partition of 1 from 2 cut 1 from 3");
    let err = round_trip(&mut open, SHORT).expect_err("an open connection worked across the partition");
    assert!(matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut), "{err}");

    net.heal();
    assert!(reaches(&net, 1, echo2.addr), "heal did not restore 1 → 2");
    // The connection survived: TCP retransmits the line sent during the partition.
    let mut buf = [0u8; 4];
    open.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    open.read_exact(&mut buf).expect("the open connection to recover after heal");
    assert_eq!(&buf, b"ping");
}

#[test]
fn one_way_partition_blocks_one_direction_only() {
    let net = net(2);
    assert_eq!(datagrams(&net, 1, 2, 20, SHORT).len(), 20);
    assert_eq!(datagrams(&net, 2, 1, 20, SHORT).len(), 20);

    net.partition_one_way(&[1], &[2]);
    assert_eq!(datagrams(&net, 1, 2, 20, SHORT).len(), 0, "1 → 2 should be cut");
    assert_eq!(datagrams(&net, 2, 1, 20, SHORT).len(), 20, "2 → 1 should still work");
    // TCP needs both ways: neither side can connect.
    assert!(!reaches(&net, 1, Echo::start(&net, 2).addr));
    assert!(!reaches(&net, 2, Echo::start(&net, 1).addr));

    net.heal();
    assert_eq!(datagrams(&net, 1, 2, 20, SHORT).len(), 20, "heal did not restore 1 → 2");
}

#[test]
fn loss_drops_a_share_of_packets_and_full_loss_is_a_partition() {
    let net = net(2);
    let echo = Echo::start(&net, 2);

    net.loss(1, 2, 1.0);
    assert!(!reaches(&net, 1, echo.addr));
    assert_eq!(datagrams(&net, 1, 2, 50, SHORT).len(), 0);
    assert_eq!(datagrams(&net, 2, 1, 50, SHORT).len(), 0);

    // Replaces the 100 % rule rather than adding to it.
    net.loss(1, 2, 0.3);
    let arrived = datagrams(&net, 1, 2, 200, SHORT).len();
    // Expected 140 (binomial, σ ≈ 6.5).
    assert!((100..=180).contains(&arrived), "{arrived} of 200 datagrams arrived with 30 % loss");
    let arrived = datagrams(&net, 2, 1, 200, SHORT).len();
    assert!((100..=180).contains(&arrived), "{arrived} of 200 datagrams arrived back with 30 % loss");

    net.heal();
    assert_eq!(datagrams(&net, 1, 2, 200, SHORT).len(), 200);
    assert!(reaches(&net, 1, echo.addr));
}

#[test]
fn delay_adds_to_each_direction_in_order() {
    let net = net(3);
    let echo = Echo::start(&net, 2);
    let mut conn = connect(&net, 1, echo.addr, SHORT).unwrap();
    let before = round_trip(&mut conn, SHORT).unwrap();
    assert!(before < Duration::from_millis(50), "round trip {before:?} before any delay");

    net.delay(1, 2, Duration::from_millis(100));
    net.delay(1, 2, Duration::from_millis(100)); // idempotent
    let rtts: Vec<Duration> = (0..5).map(|_| round_trip(&mut conn, Duration::from_secs(2)).unwrap()).collect();
    for rtt in &rtts {
        assert!(
            (Duration::from_millis(200)..Duration::from_millis(400)).contains(rtt),
            "round trips with 100 ms each way: {rtts:?}"
        );
    }
    eprintln!("round trips with 100 ms each way: {rtts:?}");
    let start = Instant::now();
    let mut fresh = connect(&net, 1, echo.addr, Duration::from_secs(2)).unwrap();
    let handshake = start.elapsed();
    assert!(handshake >= Duration::from_millis(200), "connect took {handshake:?} (SYN and SYN-ACK delayed)");
    round_trip(&mut fresh, Duration::from_secs(2)).unwrap();
    // Host 3 is not delayed.
    let echo3 = Echo::start(&net, 3);
    let mut to3 = connect(&net, 1, echo3.addr, SHORT).unwrap();
    assert!(round_trip(&mut to3, SHORT).unwrap() < Duration::from_millis(50));

    // Thousands of packets a second keep their order and all get through.
    let seen = datagrams(&net, 1, 2, 3000, Duration::from_secs(1));
    assert_eq!(seen.len(), 3000, "datagrams lost under delay");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "datagrams reordered under delay");

    net.delay(1, 2, Duration::from_millis(20));
    let rtt = round_trip(&mut conn, Duration::from_secs(2)).unwrap();
    assert!((Duration::from_millis(40)..Duration::from_millis(150)).contains(&rtt), "{rtt:?} with 20 ms each way");

    net.heal();
    let after = wait_for(Duration::from_secs(5), "the round trip to drop back after heal", || {
        round_trip(&mut conn, Duration::from_secs(2)).ok().filter(|rtt| *rtt < Duration::from_millis(50))
    });
    eprintln!("round trip after heal: {after:?}");
}

#[test]
fn delay_and_partition_combine() {
    let net = net(2);
    let echo = Echo::start(&net, 2);
    net.delay(1, 2, Duration::from_millis(50));
    net.partition(&[1], &[2]);
    // A packet accepted by netdelay skips the rest of the chain: drops must come first.
    assert!(!reaches(&net, 1, echo.addr), "the delay let packets through a partition");
    net.heal();
    assert!(reaches(&net, 1, echo.addr));
}

#[test]
fn commands_run_in_the_host_namespace() {
    let net = net(2);
    let out = net.command(2, "ip").args(["-4", "-o", "addr", "show", "dev", "eth0"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{}/24", net.ip(2))));
    // `ip netns exec` execs: the child's pid is the program's.
    let mut child = net.command(1, "sleep").arg("30").spawn().unwrap();
    let comm = wait_for(Duration::from_secs(5), "the child to exec sleep", || {
        let comm = std::fs::read_to_string(format!("/proc/{}/comm", child.id())).ok()?;
        (comm.trim() == "sleep").then_some(comm)
    });
    assert_eq!(comm.trim(), "sleep");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn drop_removes_the_namespaces_and_netdelay() {
    let net = net(2);
    net.delay(1, 2, Duration::from_millis(10));
    let names: Vec<String> = (1..=2).map(|h| net.ns(h).to_string()).collect();
    let netdelays = |ns: &str| {
        let out = Command::new("ip").args(["netns", "pids", ns]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).split_whitespace().count()
    };
    assert_eq!(netdelays(&names[0]), 1, "one netdelay for 2 → 1");
    assert_eq!(netdelays(&names[1]), 1, "one netdelay for 1 → 2");
    let listed =
        || String::from_utf8_lossy(&Command::new("ip").args(["netns", "list"]).output().unwrap().stdout).into_owned();
    assert!(names.iter().all(|n| listed().contains(n.as_str())));
    drop(net);
    let list = listed();
    for name in &names {
        assert!(!list.contains(name.as_str()), "{name} is still listed:\n{list}");
    }
    let bridge = names[0].trim_end_matches("-h1").to_string() + "-br";
    assert!(!list.contains(&bridge), "{bridge} is still listed:\n{list}");
}

#[test]
fn panicking_test_still_removes_its_namespaces() {
    let mut names = Vec::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let net = net(1);
        names.push(net.ns(1).to_string());
        net.partition(&[1], &[1]);
        panic!("deliberate panic: the Net must still be dropped");
    }));
    assert!(result.is_err());
    let list =
        String::from_utf8_lossy(&Command::new("ip").args(["netns", "list"]).output().unwrap().stdout).into_owned();
    assert!(!list.contains(&names[0]), "{} survived the panic:\n{list}", names[0]);
}

#[test]
fn new_removes_namespaces_left_by_dead_processes() {
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let leftover = format!("tk-{dead}-0-0000-h1");
    let ours = format!("tk-{}-999999-0000-h1", std::process::id());
    for name in [&leftover, &ours] {
        assert!(Command::new("ip").args(["netns", "add", name]).status().unwrap().success());
    }
    let _net = net(1);
    let list =
        String::from_utf8_lossy(&Command::new("ip").args(["netns", "list"]).output().unwrap().stdout).into_owned();
    assert!(Command::new("ip").args(["netns", "delete", &ours]).status().unwrap().success());
    assert!(!list.contains(&leftover), "{leftover} was not removed:\n{list}");
    assert!(list.contains(&ours), "{ours} belongs to a live process and was removed");
}

#[test]
fn cluster_machines_run_in_their_hosts() {
    use traefikee_testkit::Cluster;
    let net = net(2);
    let ips = (net.ip(1), net.ip(2));
    // Any program stands in for traefikee: the harness only runs it with arguments.
    let mut cluster = Cluster::with_net("/bin/sh", net);
    assert_eq!(cluster.ip(1), ips.0);
    let a = cluster.add("a");
    assert_eq!(cluster.node(a).ip, ips.0);
    cluster.node_mut(a).start(vec!["-c".into(), "ip -4 -o addr show dev eth0; exec sleep 30".into()]);
    let node = cluster.node(a);
    wait_for(Duration::from_secs(5), "node a to log its address", || {
        node.logs().contains(&format!("{}/24", ips.0)).then_some(())
    });
    let pid = node.pid().unwrap();
    wait_for(Duration::from_secs(5), "node a's pid to be sleep's", || {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        (comm.trim() == "sleep").then_some(())
    });
    let run = cluster.run_on(2, &["-c".into(), "ip -4 -o addr show dev eth0".into()]).success();
    assert!(run.stdout.contains(&format!("{}/24", ips.1)), "{}", run.stdout);
    cluster.node_mut(a).kill9();
}

#[test]
fn load_and_backend_run_in_hosts() {
    use traefikee_testkit::{Backend, Load};
    let net = net(2);
    let backend = Backend::start_in(&net, 2, "hello");
    assert_eq!(backend.addr.ip().to_string(), net.ip(2));
    // 10.x is only reachable from inside the Net: answers prove the clients run there.
    let load = Load::start_in(&net, 1, vec![backend.addr], "example.test", |_| Ok(()));
    load.wait_for_more(20, Duration::from_secs(10));
    let report = load.stop();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.bodies.keys().collect::<Vec<_>>(), ["hello"]);
    assert!(backend.hits() >= 20);
}
