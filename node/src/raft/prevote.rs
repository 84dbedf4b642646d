//! Pre-vote: a control node stands for election only if a quorum agrees there is no leader.
//!
//! openraft 0.9 has no pre-vote. A follower that misses a few heartbeats (a lossy or slow
//! link, a paused process) raises its term when it stands for election; the others refuse
//! to vote while they hear their leader, but the higher term then reaches the leader and
//! deposes it: elections beget elections (30% loss took the term from 4 to 130 in 30 s). So
//! openraft's own election timer is off (`enable_elect: false`) and this task decides:
//!
//! - a voter that has heard no leader for the leader lease plus a random election timeout
//!   (openraft's own rule) asks the other voters first, without raising its term;
//! - a voter agrees only if it has heard no leader for a leader lease itself (a leader
//!   always hears itself), did not just stand itself (two nodes agreeing to each other at
//!   once would each raise the term and depose the first winner), and the asker's log is at
//!   least as recent as its own;
//! - with a quorum of agreements, counting its own, it calls the real election.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{LogId, NodeId};
use crate::controller::Controller;

/// `POST /cluster/v1/prevote`: would you vote for me?
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreVote {
    pub candidate: NodeId,
    pub last_log_id: Option<LogId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PreVoteAnswer {
    pub granted: bool,
    /// Why not, for the logs.
    #[serde(default)]
    pub reason: Option<String>,
}

/// When this node last heard a leader (its AppendEntries or snapshot, or itself leading),
/// and when it last stood for election.
#[derive(Debug)]
pub struct LeaderContact {
    heard: Mutex<Instant>,
    stood: Mutex<Option<Instant>>,
}

impl Default for LeaderContact {
    /// A node that just started counts as having heard a leader: it waits a full timeout.
    fn default() -> Self {
        LeaderContact { heard: Mutex::new(Instant::now()), stood: Mutex::new(None) }
    }
}

impl LeaderContact {
    pub fn heard(&self) {
        *self.heard.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    fn silence(&self) -> Duration {
        self.heard.lock().unwrap_or_else(|p| p.into_inner()).elapsed()
    }

    fn stand(&self) {
        *self.stood.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }

    fn since_stood(&self) -> Option<Duration> {
        self.stood.lock().unwrap_or_else(|p| p.into_inner()).map(|at| at.elapsed())
    }
}

impl Controller {
    /// openraft's leader lease: a follower refuses to vote for this long after hearing a leader.
    fn leader_lease(&self) -> Duration {
        self.timing.election_timeout * 2
    }

    fn leads(&self) -> bool {
        self.raft.metrics().borrow().state == openraft::ServerState::Leader
    }

    /// The answer to another voter's pre-vote.
    pub fn answer_prevote(&self, ask: &PreVote) -> PreVoteAnswer {
        let refuse = |why: String| PreVoteAnswer { granted: false, reason: Some(why) };
        if self.leads() {
            return refuse("this node leads".into());
        }
        // Two nodes agreeing to each other's elections at once would each raise the term and
        // depose whichever wins first: a node that just stood agrees to no one while its
        // election runs. (Not for longer: after a split vote both stay candidates, and the
        // next attempts, at random times, must be able to agree.)
        if self.leader_contact.since_stood().is_some_and(|d| d < self.timing.election_timeout) {
            return refuse("this node stands for election itself".into());
        }
        let silence = self.leader_contact.silence();
        if silence < self.leader_lease() {
            return refuse(format!("this node heard its leader {} ms ago", silence.as_millis()));
        }
        let mine = self.raft.data_metrics().borrow().last_log;
        if ask.last_log_id < mine {
            return refuse(format!("the candidate's log ends before this node's ({mine:?})"));
        }
        PreVoteAnswer { granted: true, reason: None }
    }

    /// Runs the election timer for as long as the controller runs.
    pub fn spawn_elector(self: &Arc<Self>) {
        let this = Arc::downgrade(self);
        let tick = self.timing.heartbeat;
        tokio::spawn(async move {
            let mut wait = None;
            // After a failed attempt, the next waits a full timeout again. This is the
            // elector's own clock: it must not count as having heard a leader, or this node
            // would refuse the pre-votes of the others meanwhile.
            let mut next_attempt = tokio::time::Instant::now();
            loop {
                tokio::time::sleep(tick).await;
                let Some(me) = this.upgrade() else { return };
                if me.leads() {
                    me.leader_contact.heard();
                    continue;
                }
                let voters = me.voters();
                if !voters.contains(&me.id()) {
                    continue;
                }
                let timeout = *wait.get_or_insert_with(|| me.election_wait());
                if me.leader_contact.silence() < timeout || tokio::time::Instant::now() < next_attempt {
                    continue;
                }
                wait = None;
                next_attempt = tokio::time::Instant::now() + me.election_wait();
                let granted = me.run_prevote(&voters).await;
                let needed = voters.len() / 2 + 1;
                if granted >= needed && me.leader_contact.silence() >= timeout && !me.leads() {
                    me.leader_contact.stand();
                    tracing::info!(
                        granted,
                        of = voters.len(),
                        "no leader heard; a quorum agrees: standing for election"
                    );
                    if let Err(e) = me.raft.trigger().elect().await {
                        tracing::warn!("could not stand for election: {e}");
                    }
                } else {
                    tracing::debug!(granted, needed, "no leader heard, but no quorum agrees there is none");
                }
            }
        });
    }

    /// The leader lease plus a random election timeout (openraft's own rule).
    fn election_wait(&self) -> Duration {
        let t = self.timing.election_timeout.as_millis() as u64;
        self.leader_lease() + Duration::from_millis(rand::random_range(t..=2 * t))
    }

    /// Asks the other voters; the number that agree, this node included.
    async fn run_prevote(&self, voters: &std::collections::BTreeSet<NodeId>) -> usize {
        let ask = PreVote { candidate: self.id(), last_log_id: self.raft.data_metrics().borrow().last_log };
        let membership = self.raft.metrics().borrow().membership_config.clone();
        let timeout = self.timing.election_timeout;
        let asks = voters.iter().filter(|v| **v != self.id()).filter_map(|v| membership.membership().get_node(v)).map(
            |node| {
                let req =
                    self.peers.post(format!("https://{}/cluster/v1/prevote", node.addr)).json(&ask).timeout(timeout);
                async move {
                    let resp = req.send().await.ok()?;
                    crate::controller::decode::<PreVoteAnswer>(resp).await.ok()
                }
            },
        );
        let answers = futures::future::join_all(asks).await;
        1 + answers.iter().filter(|a| a.as_ref().is_some_and(|a| a.granted)).count()
    }
}
