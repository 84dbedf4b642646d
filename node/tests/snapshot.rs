//! Snapshots compact the Raft log; a node that joins after the compaction receives the state
//! through a snapshot install, and a node restarted on a compacted log keeps its state.

use std::time::Duration;

use traefikee_testkit::{wait_for, Cluster};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");

fn status(c: &Cluster, i: usize) -> serde_json::Value {
    let run = c.node(i).local(&["status", "-o", "json"]).success();
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn a_compacted_log_is_shipped_as_a_snapshot_and_survives_restart() {
    let mut c = Cluster::new(BIN);
    let first = c.add("s1");
    c.node_mut(first).set_env("TRAEFIKEE_RAFT_SNAPSHOT_EVERY", "10");
    let args = c.bootstrap_args(first, &[]);
    c.node_mut(first).start(args);
    wait_for(Duration::from_secs(20), "s1", || c.node(first).nodes());

    for _ in 0..25 {
        c.node(first).local(&["tokens", "rotate"]).success();
    }
    let st = wait_for(Duration::from_secs(10), "a snapshot and a purge", || {
        let st = status(&c, first);
        (st["raft"]["snapshot_index"].as_u64()? >= 10 && st["raft"]["purged_index"].as_u64()? >= 5).then_some(st)
    });
    assert!(st["raft"]["last_log_index"].as_u64().unwrap() >= 25, "{st}");
    let tokens = c.node(first).tokens();

    let second = c.add("s2");
    c.node_mut(second).set_env("TRAEFIKEE_RAFT_SNAPSHOT_EVERY", "10");
    let args = c.control_node_args(second, &[first], &tokens.0);
    c.node_mut(second).start(args);
    c.wait_members(second, 2, Duration::from_secs(30));
    assert_eq!(c.node(second).tokens(), tokens, "the new node got the state from the snapshot");
    let st2 = status(&c, second);
    assert!(st2["raft"]["snapshot_index"].as_u64().is_some(), "s2 installed a snapshot: {st2}");

    c.node_mut(first).stop();
    let mut args = c.control_flags(first);
    args.insert(0, "bootstrap".into());
    c.node_mut(first).restart(Some(args));
    c.wait_members(first, 2, Duration::from_secs(30));
    assert_eq!(c.node(first).tokens(), tokens, "state rebuilt from the snapshot and the log tail");
}
