//! The on-premise guide, walked with real processes: bootstrap with --controlnodes=3, three
//! control nodes join, the bootstrap node leaves, the leader is killed and comes back.

use std::time::Duration;

use traefikee_testkit::{time_until, wait_for, Cluster};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");

#[test]
fn bootstrap_three_control_nodes_survive_a_leader_kill_and_rejoin() {
    let mut c = Cluster::new(BIN);
    let boot = c.add("bootstrap-node");
    let cns: Vec<usize> = ["control-node-1", "control-node-2", "control-node-3"].iter().map(|n| c.add(n)).collect();

    let args = c.bootstrap_args(boot, &["--controlnodes=3", "--timeout=60", "--licensekey=fakeLicense"]);
    c.node_mut(boot).start(args);
    wait_for(Duration::from_secs(20), "the bootstrap node to answer", || c.node(boot).nodes());
    let listed = c.node(boot).local(&["list-nodes"]).success().stdout;
    assert_eq!(listed, "Name            Role\n----            ----\nbootstrap-node  CONTROL NODE (Current Leader)\n");

    // The guide's way of reading the token.
    let (control, data) = c.node(boot).tokens();
    assert!(control.starts_with("tkee1.control.") && data.starts_with("tkee1.data."));

    for &i in &cns {
        let args =
            c.control_node_args(i, &[boot, 1, 2, 3].iter().copied().filter(|p| *p != i).collect::<Vec<_>>(), &control);
        c.node_mut(i).start(args);
    }

    // The bootstrap node hands over and exits cleanly.
    let status = c.node_mut(boot).wait_exit(Duration::from_secs(60));
    assert!(status.success(), "bootstrap exited with {status:?}\n{}", c.all_logs());
    assert!(!c.node(boot).statedir().join("node.json").exists(), "the bootstrap node leaves no state behind");

    // Exactly three control nodes, one leader, no bootstrap node.
    for &i in &cns {
        c.wait_members(i, 3, Duration::from_secs(20));
    }
    let nodes = c.node(cns[0]).nodes().unwrap();
    assert!(nodes.iter().all(|n| n["role"] == "CONTROL_NODE" && n["name"] != "bootstrap-node"), "{nodes:?}");
    let leader = wait_for(Duration::from_secs(10), "a leader", || c.node(cns[0]).leader());
    // Another control node may learn of the leader a moment later than cns[0]: poll its view.
    let table = wait_for(Duration::from_secs(10), "cns[1] to list one leader", || {
        let table = c.node(cns[1]).local(&["list-nodes"]).success().stdout;
        (table.matches("(Current Leader)").count() == 1).then_some(table)
    });
    assert_eq!(table.matches("(Current Leader)").count(), 1, "{table}");

    // kill -9 the leader: another one is elected, and the dead one shows DOWN within 5 s.
    let dead = c.index_of(&leader);
    c.node_mut(dead).kill9();
    let survivor = *cns.iter().find(|&&i| i != dead).unwrap();
    let new_leader =
        wait_for(Duration::from_secs(10), "a new leader", || c.node(survivor).leader().filter(|l| *l != leader));
    let down_after = time_until(Duration::from_secs(5), "the dead leader to show DOWN", || {
        c.node(survivor)
            .nodes()
            .is_some_and(|ns| ns.iter().any(|n| n["name"] == leader.as_str() && n["status"] == "DOWN"))
    });
    assert!(down_after <= Duration::from_secs(5));
    assert_ne!(new_leader, leader);

    // The cluster still takes writes.
    let rotated = c.node(survivor).local(&["tokens", "rotate"]).success();
    assert!(rotated.stdout.contains("CONTROL_NODE_TOKEN"));

    // Restarted from its state dir, without a token, the old leader rejoins with its data and
    // catches up on the write it missed.
    let mut args = c.control_flags(dead);
    args.insert(0, "start-control-node".into());
    c.node_mut(dead).restart(Some(args));
    c.wait_members(dead, 3, Duration::from_secs(20));
    let survivors_tokens = c.node(survivor).tokens();
    wait_for(Duration::from_secs(10), "the rejoined node to catch up", || {
        (c.node(dead).tokens() == survivors_tokens).then_some(())
    });
    assert_ne!(survivors_tokens.0, control, "the rotation replaced the control token");
}
