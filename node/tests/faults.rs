//! Bad input and faults of the control plane: each is refused with a clear message and a
//! non-zero exit, and changes nothing.

use std::time::{Duration, Instant};

use traefikee_testkit::{wait_for, Cluster};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");

fn assert_refused(run: &traefikee_testkit::Run, code: i32, needle: &str) {
    assert_eq!(run.code(), Some(code), "expected exit {code}\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains(needle), "stderr lacks {needle:?}:\n{}", run.stderr);
    assert!(run.stderr.contains("error: "), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn bootstrap_gives_up_when_the_control_nodes_do_not_come_and_leaves_no_cluster() {
    let mut c = Cluster::new(BIN);
    let boot = c.add("boot");
    let cn = c.add("cn1");
    let args = c.bootstrap_args(boot, &["--controlnodes=3", "--timeout=4"]);
    c.node_mut(boot).start(args);
    wait_for(Duration::from_secs(20), "the bootstrap node", || c.node(boot).nodes());
    let (control, _) = c.node(boot).tokens();
    let args = c.control_node_args(cn, &[boot], &control);
    c.node_mut(cn).start(args);

    let status = c.node_mut(boot).wait_exit(Duration::from_secs(30));
    assert_eq!(status.code(), Some(3), "{}", c.all_logs());
    let logs = c.node(boot).logs();
    assert!(logs.contains("only 1 of 3 control nodes joined within 4s; the cluster was not created"), "{logs}");

    let status = c.node_mut(cn).wait_exit(Duration::from_secs(10));
    assert!(!status.success());
    assert!(c.node(cn).logs().contains("the bootstrap node gave up"), "{}", c.node(cn).logs());

    assert!(!c.node(boot).statedir().join("node.json").exists());
    assert!(!c.node(cn).statedir().join("node.json").exists());
    assert!(
        !c.node(boot).creds_dir().join("key.pem").exists(),
        "credentials of a cluster that does not exist are removed"
    );
}

#[test]
fn wrong_tokens_are_refused_and_change_nothing() {
    let mut a = Cluster::new(BIN);
    let ids = a.start_control_plane(&["a1"]);
    let (control, data) = a.node(ids[0]).tokens();
    let mut b = Cluster::new(BIN);
    let other = b.start_control_plane(&["b1"]);
    let (foreign, _) = b.node(other[0]).tokens();

    fn attempt(a: &mut Cluster, first: usize, name: &str, token: &str) -> traefikee_testkit::Run {
        let i = a.add(name);
        let mut args = a.control_node_args(i, &[first], token);
        args.push("--timeout=5".into());
        let run = a.run(&args);
        assert!(!a.node(i).statedir().join("node.json").exists(), "{name}: no identity may be written");
        run
    }

    assert_refused(&attempt(&mut a, ids[0], "garbage", "hello"), 4, "malformed join token");
    let mut cut = control.clone();
    cut.truncate(control.len() - 4);
    assert_refused(&attempt(&mut a, ids[0], "truncated", &cut), 4, "the CA pin is not 64 hex digits");
    assert_refused(
        &attempt(&mut a, ids[0], "data-token", &data),
        4,
        "this is a data node token; start-control-node needs the control node token",
    );
    assert_refused(&attempt(&mut a, ids[0], "foreign", &foreign), 4, "is not a control node of the token's cluster");

    // A token with the right pin but a wrong secret.
    let mut parts: Vec<String> = control.split('.').map(str::to_string).collect();
    parts[3] = "A".repeat(43);
    assert_refused(&attempt(&mut a, ids[0], "wrong-secret", &parts.join(".")), 4, "not valid for this cluster");

    // After a rotation the old token is refused.
    a.node(ids[0]).local(&["tokens", "rotate"]).success();
    assert_refused(&attempt(&mut a, ids[0], "rotated", &control), 4, "wrong or was rotated");

    let nodes = a.node(ids[0]).nodes().unwrap();
    assert_eq!(nodes.len(), 1, "the cluster is unchanged: {nodes:?}");
}

#[test]
fn a_state_dir_of_another_cluster_is_refused() {
    let mut a = Cluster::new(BIN);
    let ids = a.start_control_plane(&["a1", "a2"]);
    let mut b = Cluster::new(BIN);
    let other = b.start_control_plane(&["b1"]);
    let (foreign, _) = b.node(other[0]).tokens();

    a.node_mut(ids[1]).stop();
    let args = a.control_node_args(ids[1], &[ids[0]], &foreign);
    let run = a.run(&args);
    assert_refused(&run, 1, "belongs to another cluster");
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
}

#[test]
fn a_port_in_use_is_refused_before_any_state_is_created() {
    let mut c = Cluster::new(BIN);
    let ids = c.start_control_plane(&["n1"]);
    let other = c.add("n2");
    let mut args = c.bootstrap_args(other, &[]);
    // Same cluster address as n1.
    let taken = c.node(ids[0]).cluster_addr();
    args.retain(|a| !a.starts_with("--listen=") && !a.starts_with("--advertise="));
    args.push(format!("--listen={taken}"));
    let run = c.run(&args);
    assert_refused(&run, 1, "address already in use");
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
    assert!(!c.node(other).statedir().exists(), "nothing was created");
}

#[test]
fn an_unreachable_peer_is_retried_then_given_up_at_the_timeout() {
    let mut c = Cluster::new(BIN);
    let ids = c.start_control_plane(&["n1"]);
    let (control, _) = c.node(ids[0]).tokens();
    let lonely = c.add("lonely");
    let nobody = c.add("nobody");
    let mut args = c.control_node_args(lonely, &[nobody], &control);
    args.push("--timeout=2".into());
    let start = Instant::now();
    let run = c.run(&args);
    assert_refused(&run, 3, "no control node admitted this node before the timeout");
    assert!(run.stderr.contains("retrying"), "a clear log line per retry:\n{}", run.stderr);
    assert!(start.elapsed() < Duration::from_secs(15));
}

#[test]
fn losing_quorum_fails_writes_and_current_reads_with_a_clear_error() {
    let mut c = Cluster::new(BIN);
    let mut ids = c.start_control_plane(&["q1", "q2", "q3"]);
    // The leader first: the two others are lost.
    let leader = c.index_of(&wait_for(Duration::from_secs(10), "a leader", || c.node(ids[0]).leader()));
    ids.sort_by_key(|i| *i != leader);
    let before = c.node(ids[0]).tokens();
    c.node_mut(ids[1]).kill9();
    c.node_mut(ids[2]).kill9();
    let start = Instant::now();
    let run = c.node(ids[0]).local(&["tokens", "rotate"]);
    assert_refused(&run, 3, "no quorum");
    // It led: the entry is in its log and commits if a quorum comes back, so the failure
    // must not claim that nothing changed.
    assert!(run.stderr.contains("may or may not have been applied"), "{}", run.stderr);
    assert!(!run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert!(start.elapsed() < Duration::from_secs(15), "the write failed instead of hanging");
    // Reads that must be current (the tokens) are refused rather than possibly stale; the
    // node list, a diagnostic read, still answers and warns.
    assert_refused(&c.node(ids[0]).local(&["env"]), 3, "cannot confirm that its view of the cluster is current");
    let listed = c.node(ids[0]).local(&["list-nodes"]).success();
    assert!(listed.stderr.contains("may be stale"), "{}", listed.stderr);
    c.node_mut(ids[1]).restart(None);
    wait_for(Duration::from_secs(20), "the tokens, once a quorum is back", || {
        c.node(ids[0]).local(&["env"]).ok().then_some(())
    });
    // The rotation its log held commits with the quorum (a read may come first, while it is
    // still being replicated): both controllers agree on it.
    let after = wait_for(Duration::from_secs(10), "the rotation in the leader's log to commit", || {
        Some(c.node(ids[0]).tokens()).filter(|t| *t != before)
    });
    wait_for(Duration::from_secs(10), "the other to agree", || (c.node(ids[1]).tokens() == after).then_some(()));
}

/// Two of three control nodes lost for good: `traefikee recover` on the survivor makes it a
/// cluster of one with its data; new control nodes join it; a lost one that comes back is
/// refused and stops.
#[test]
fn recover_makes_the_survivor_of_a_lost_quorum_a_cluster_again() {
    let mut c = Cluster::new(BIN);
    let ids = c.start_control_plane(&["s1", "s2", "s3"]);
    let (s1, s2, s3) = (ids[0], ids[1], ids[2]);
    let (control_before, _) = c.node(s1).tokens();
    c.node(s1).local(&["tokens", "rotate"]).success();
    c.node_mut(s2).kill9();
    c.node_mut(s3).kill9();
    assert_refused(&c.node(s1).local(&["tokens", "rotate"]), 3, "no quorum");
    let statedir = format!("--statedir={}", c.node(s1).statedir().display());

    // Not while the node runs, and not on a directory that holds no node.
    let busy = c.run(&["recover".into(), statedir.clone()]);
    assert_refused(&busy, 1, "in use by another traefikee process");
    assert!(busy.stderr.contains("stop the control node first"), "{}", busy.stderr);
    let empty = c.run(&["recover".into(), format!("--statedir={}/nothing", c.dir.path().display())]);
    assert_refused(&empty, 1, "holds no node");

    c.node_mut(s1).stop();
    let run = c.run(&["recover".into(), statedir.clone()]).success();
    assert!(run.stdout.contains("s1 is now the only control node"), "{}", run.stdout);
    assert!(run.stdout.contains("s2 (") && run.stdout.contains("s3 ("), "{}", run.stdout);

    c.node_mut(s1).restart(None);
    // It leads alone, removes the lost ones, and commits.
    let nodes = wait_for(Duration::from_secs(20), "s1 to lead a cluster of its own", || {
        c.node(s1).nodes().filter(|ns| ns.len() == 1 && ns[0]["leader"] == true)
    });
    assert_eq!(nodes[0]["name"], "s1");
    c.node(s1).local(&["tokens", "rotate"]).success();
    let (control, _) = c.node(s1).tokens();
    assert_ne!(control, control_before);

    // A lost control node that comes back is refused and stops.
    c.node_mut(s2).restart(None);
    let status = c.node_mut(s2).wait_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(4), "{}", c.node(s2).logs());
    assert!(c.node(s2).logs().contains("removed from the cluster"), "{}", c.node(s2).logs());

    // New control nodes join the recovered one with its new token.
    let s4 = c.add("s4");
    let args = c.control_node_args(s4, &[s1], &control);
    c.node_mut(s4).start(args);
    c.wait_members(s1, 2, Duration::from_secs(30));
    c.node(s4).local(&["tokens", "rotate"]).success();
    assert!(!c.node(s1).statedir().join("recovery.json").exists(), "the recovery was carried out");
}

#[test]
fn rm_node_removes_a_dead_control_node_but_never_breaks_quorum() {
    let mut c = Cluster::new(BIN);
    let ids = c.start_control_plane(&["r1", "r2", "r3"]);
    c.node_mut(ids[2]).kill9();
    wait_for(Duration::from_secs(6), "r3 to show DOWN", || {
        c.node(ids[0]).nodes()?.iter().any(|n| n["name"] == "r3" && n["status"] == "DOWN").then_some(())
    });

    let run = c.node(ids[0]).local(&["rm-node", "r2"]);
    assert_refused(&run, 1, "would break quorum");
    assert_refused(&c.node(ids[0]).local(&["rm-node", "nope"]), 5, "no node named or with id \"nope\"");

    let run = c.node(ids[1]).local(&["rm-node", "r3"]).success();
    assert!(run.stdout.contains("Node r3"), "{}", run.stdout);
    let nodes =
        wait_for(Duration::from_secs(5), "r3 to leave the list", || c.node(ids[0]).nodes().filter(|ns| ns.len() == 2));
    assert!(nodes.iter().all(|n| n["name"] != "r3" && n["status"] == "READY"), "{nodes:?}");

    // The two that remain still commit writes.
    c.node(ids[0]).local(&["tokens", "rotate"]).success();
}

#[test]
fn local_commands_without_a_node_say_how_to_reach_one() {
    let c = Cluster::new(BIN);
    let run = c.run(&["list-nodes".into(), format!("--traefikeesocket={}/none.sock", c.dir.path().display())]);
    assert_refused(&run, 3, "no traefikee node is running on socket");
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
}
