//! Whether a controller can prove that its state is current.
//!
//! A controller cut off from the majority keeps its state and, if it led, keeps believing it
//! leads: openraft 0.9 has no leader step-down without a newer vote. What it shows and what it
//! feeds the data nodes may then trail the cluster by any number of versions. So a
//! controller confirms its state, a few times per election timeout, the way a read barrier
//! does: the leader has a quorum acknowledge its leadership, a follower asks the leader for its
//! read index and applies up to it. Only a recent confirmation makes it:
//!
//! - a leader that `status`, `list-nodes` and heartbeat answers name (an isolated one shows
//!   none, with a warning that what it shows may be stale);
//! - a configuration feed that may answer "nothing newer" (a data node waiting on a stale
//!   controller is told so and moves to another).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::controller::Controller;
use crate::raft::NodeId;

/// The last time this controller proved its state current, and the leader that proved it.
#[derive(Debug, Default)]
pub struct Currency(Mutex<Option<(Instant, NodeId)>>);

impl Currency {
    fn get(&self) -> Option<(Instant, NodeId)> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self, at: Instant, leader: NodeId) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((at, leader));
    }
}

impl Controller {
    /// How often the state is confirmed: once per election timeout.
    pub fn confirm_every(&self) -> Duration {
        self.timing.election_timeout
    }

    /// A confirmation older than this no longer counts: the earliest the followers that
    /// acknowledged it can have elected another leader (they refuse to vote for a leader
    /// lease, twice the election timeout, and stand only after one more election timeout).
    /// It is three rounds of confirmation.
    fn currency_lifetime(&self) -> Duration {
        3 * self.timing.election_timeout
    }

    /// One confirmation attempt within `timeout`: the leader that confirmed this state.
    pub async fn confirm_current(&self, timeout: Duration) -> Result<NodeId, String> {
        let started = Instant::now();
        match self.leader_addr() {
            None => Err("no leader is known".to_string()),
            Some((leader, _)) if leader == self.id() => {
                match tokio::time::timeout(timeout, self.raft.ensure_linearizable()).await {
                    Ok(Ok(_)) => Ok(leader),
                    Ok(Err(e)) => {
                        tracing::debug!("leadership not confirmed: {e}");
                        Err("no quorum of control nodes confirmed its leadership".into())
                    }
                    Err(_) => Err("a quorum did not confirm the leadership in time".into()),
                }
            }
            Some((leader, addr)) => {
                let index = self.leader_read_index(&addr, timeout).await?;
                let remaining = timeout.saturating_sub(started.elapsed());
                if self.db.applied_at_least(index, remaining).await {
                    Ok(leader)
                } else {
                    Err(format!("it has not caught up with the leader (index {index})"))
                }
            }
        }
    }

    /// Confirms the state in the background for as long as the controller runs.
    pub fn spawn_currency(self: &std::sync::Arc<Self>) {
        let this = std::sync::Arc::downgrade(self);
        let every = self.confirm_every();
        let mut metrics = self.raft.metrics();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut lost = false;
            let mut followed = None;
            loop {
                // Every round, and at once when the leader changes: a confirmation made with
                // the previous one no longer counts.
                tokio::select! {
                    _ = tick.tick() => {}
                    changed = metrics.wait_for(|m| m.current_leader.is_some() && m.current_leader != followed) => {
                        if changed.is_err() {
                            return;
                        }
                    }
                }
                followed = metrics.borrow().current_leader;
                let Some(me) = this.upgrade() else { return };
                let started = Instant::now();
                match me.confirm_current(every).await {
                    Ok(leader) => {
                        if lost {
                            tracing::info!("this control node's state is confirmed current again");
                            lost = false;
                        }
                        me.currency.set(started, leader);
                    }
                    Err(why) if !lost && me.staleness().is_some() => {
                        tracing::warn!("this control node cannot confirm that its state is current: {why}");
                        lost = true;
                    }
                    Err(_) => {}
                }
            }
        });
    }

    /// The last confirmation, if it is recent and made with the leader Raft follows now (a
    /// confirmation with a leader since deposed is worth nothing).
    fn current_confirmation(&self) -> Option<(Instant, NodeId)> {
        let (at, leader) = self.currency.get()?;
        (at.elapsed() < self.currency_lifetime() && self.leader() == Some(leader)).then_some((at, leader))
    }

    /// The leader, if this controller confirmed its state with it recently.
    pub fn confirmed_leader(&self) -> Option<NodeId> {
        self.current_confirmation().map(|(_, leader)| leader)
    }

    /// Why what this controller shows may be stale; `None` while its state is confirmed.
    pub fn staleness(&self) -> Option<String> {
        if self.current_confirmation().is_some() {
            return None;
        }
        match self.currency.get() {
            Some((at, _)) => Some(format!(
                "this control node has not confirmed its state with a quorum of control nodes for {:.1}s: what it \
                 shows may be stale",
                at.elapsed().as_secs_f64()
            )),
            None => Some(
                "this control node has not yet confirmed its state with a quorum of control nodes: what it shows \
                 may be stale"
                    .to_string(),
            ),
        }
    }
}
