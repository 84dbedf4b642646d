//! Whether a controller can prove that its state is current.
//!
//! A controller cut off from the majority keeps its state and, if it led, keeps believing it
//! leads: openraft 0.9 has no leader step-down without a newer vote. What it shows and what it
//! feeds the data nodes may then trail the cluster by any number of versions. So a
//! controller confirms its state once per election timeout, as a leader lease: the leader
//! reads when a quorum last acknowledged its heartbeats (Raft's own, so confirming costs the
//! cluster no extra round: extra heartbeat rounds were seen to starve the replication of
//! large entries), a follower asks the leader for that age and its applied index, and applies
//! up to it. Only a recent confirmation, with the leader Raft follows now, makes it:
//!
//! - a leader that `status`, `list-nodes` and heartbeat answers name (an isolated one shows
//!   none, with a warning that what it shows may be stale);
//! - a configuration feed that may answer "nothing newer" (a data node waiting on a stale
//!   controller is told so and moves to another).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use traefikee_apiserver::ApiError;

use crate::controller::Controller;
use crate::raft::NodeId;

/// Why this controller could not confirm that its state is current (shown in the warning
/// of `list-nodes` and `status`, and in a read barrier's refusal).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotConfirmed(String);

impl NotConfirmed {
    pub(crate) fn new(why: impl Into<String>) -> Self {
        NotConfirmed(why.into())
    }
}

/// The last time this controller proved its state current (the instant of the quorum's
/// acknowledgement it relied on), and the leader that proved it; and, on a leader, when a
/// quorum last acknowledged it.
#[derive(Debug, Default)]
pub struct Currency {
    confirmed: Mutex<Option<(Instant, NodeId)>>,
    quorum_ack: Mutex<Option<Instant>>,
}

impl Currency {
    fn get(&self) -> Option<(Instant, NodeId)> {
        *self.confirmed.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self, at: Instant, leader: NodeId) {
        *self.confirmed.lock().unwrap_or_else(|p| p.into_inner()) = Some((at, leader));
    }

    fn quorum_ack(&self) -> Option<Instant> {
        *self.quorum_ack.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `GET /cluster/v1/currency` on the leader: how long ago a quorum acknowledged it, and what
/// it has applied.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeaderCurrency {
    pub leader: NodeId,
    pub acked_ms_ago: u64,
    pub applied: u64,
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
    pub async fn confirm_current(&self, timeout: Duration) -> Result<NodeId, NotConfirmed> {
        let started = Instant::now();
        match self.leader_addr() {
            None => Err(NotConfirmed::new("no leader is known")),
            Some((leader, _)) if leader == self.id() => {
                match tokio::time::timeout(timeout, self.raft.ensure_linearizable()).await {
                    Ok(Ok(_)) => Ok(leader),
                    Ok(Err(e)) => {
                        tracing::debug!("leadership not confirmed: {e}");
                        Err(NotConfirmed::new("no quorum of control nodes confirmed its leadership"))
                    }
                    Err(_) => Err(NotConfirmed::new("a quorum did not confirm the leadership in time")),
                }
            }
            Some((leader, addr)) => {
                let index = self.leader_read_index(&addr, timeout).await?;
                self.catch_up_to(index, timeout.saturating_sub(started.elapsed())).await?;
                Ok(leader)
            }
        }
    }

    /// A follower's last step of a confirmation: apply what the leader had applied.
    pub(crate) async fn catch_up_to(&self, index: u64, timeout: Duration) -> Result<(), NotConfirmed> {
        if self.db.applied_at_least(index, timeout).await {
            Ok(())
        } else {
            Err(NotConfirmed::new(format!("it has not caught up with the leader (index {index})")))
        }
    }

    /// On the leader: when a quorum last acknowledged it, as Raft reports it.
    pub fn leader_currency(&self) -> Result<LeaderCurrency, ApiError> {
        let not_leader = || ApiError::unavailable("this control node does not lead");
        if self.leader() != Some(self.id()) {
            return Err(not_leader());
        }
        let at = self.currency.quorum_ack().ok_or_else(not_leader)?;
        Ok(LeaderCurrency {
            leader: self.id(),
            acked_ms_ago: at.elapsed().as_millis() as u64,
            applied: *self.db.applied().borrow(),
        })
    }

    /// One background confirmation: the instant of the quorum acknowledgement it relies on.
    async fn confirm_by_lease(&self, timeout: Duration) -> Result<(Instant, NodeId), NotConfirmed> {
        match self.leader_addr() {
            None => Err(NotConfirmed::new("no leader is known")),
            Some((leader, _)) if leader == self.id() => self
                .currency
                .quorum_ack()
                .map(|at| (at, leader))
                .ok_or_else(|| NotConfirmed::new("no quorum acknowledged it yet")),
            Some((leader, addr)) => {
                let started = Instant::now();
                let resp = self
                    .peers
                    .get(format!("https://{addr}/cluster/v1/currency"))
                    .timeout(timeout)
                    .send()
                    .await
                    .map_err(|e| NotConfirmed::new(format!("the leader at {addr} did not answer ({e})")))?;
                let answer: LeaderCurrency = crate::controller::decode(resp)
                    .await
                    .map_err(|e| NotConfirmed::new(format!("the leader at {addr}: {}", e.message)))?;
                if answer.leader != leader {
                    return Err(NotConfirmed::new(format!("{addr} no longer leads")));
                }
                self.catch_up_to(answer.applied, timeout.saturating_sub(started.elapsed())).await?;
                let at = started.checked_sub(Duration::from_millis(answer.acked_ms_ago)).unwrap_or(started);
                Ok((at, leader))
            }
        }
    }

    /// Confirms the state in the background for as long as the controller runs, and on a
    /// leader follows when a quorum last acknowledged it.
    pub fn spawn_currency(self: &std::sync::Arc<Self>) {
        let this = std::sync::Arc::downgrade(self);
        let every = self.confirm_every();
        let mut metrics = self.raft.metrics();
        let me = std::sync::Arc::downgrade(self);
        tokio::spawn(async move {
            // Raft reports the age of the last quorum acknowledgement each time it reports
            // anything; an isolated leader reports ever older ones, or nothing.
            while metrics.changed().await.is_ok() {
                let Some(c) = me.upgrade() else { return };
                let m = metrics.borrow_and_update();
                let ack = match (m.state, m.millis_since_quorum_ack) {
                    (openraft::ServerState::Leader, Some(ms)) => Instant::now().checked_sub(Duration::from_millis(ms)),
                    _ => None,
                };
                *c.currency.quorum_ack.lock().unwrap_or_else(|p| p.into_inner()) = ack;
            }
        });
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
                match me.confirm_by_lease(every).await {
                    Ok((at, leader)) => {
                        me.currency.set(at, leader);
                        if lost && me.staleness().is_none() {
                            tracing::info!("this control node's state is confirmed current again");
                            lost = false;
                        }
                    }
                    Err(why) if !lost && me.staleness().is_some() => {
                        tracing::warn!("this control node cannot confirm that its state is current: {why}");
                        lost = true;
                    }
                    Err(_) => {}
                }
                if !lost && me.staleness().is_some() && me.currency.get().is_some() {
                    tracing::warn!("this control node cannot confirm that its state is current: no recent quorum");
                    lost = true;
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
