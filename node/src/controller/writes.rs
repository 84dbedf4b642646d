//! Writes: a command committed through Raft on the leader, forwarded there from any other
//! controller with the same request id, so that a retry applies at most once; how a write that
//! could not be confirmed is reported; the peer client and its answers.

use std::future::Future;
use std::time::{Duration, Instant};

use openraft::error::{ClientWriteError, RaftError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use traefikee_apiserver::ApiError;

use super::{internal, Controller};
use crate::raft::NodeId;
use crate::state::{self, Command, Origin, RefusalKind, Request, Response};
use crate::statedir::NodeIdentity;
use crate::wire::{WriteRequest, HOPS_HEADER, MAX_HOPS};

/// What to do after a write whose outcome is unknown.
pub const MAYBE_APPLIED_HINT: &str = "check before trying again: `traefikeectl get config` shows the configuration \
     version in force, `traefikeectl list-nodes --details` what every node runs";

/// A command's result and the log index it was committed at.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Committed {
    pub response: Response,
    pub index: u64,
}

/// What went wrong forwarding a request to another controller.
enum Forwarded<T> {
    Answer(Result<T, ApiError>),
    /// The request never reached the peer: safe to send again.
    NotSent(String),
    /// Sent, but no answer came (a timeout, a dropped connection): the peer may have acted.
    Lost(String),
}

/// An HTTPS client for talking to controllers as `identity`.
pub fn peer_client(identity: &NodeIdentity) -> Result<reqwest::Client, anyhow::Error> {
    let tls = traefikee_pki::tls::client_config(
        traefikee_pki::tls::ServerTrust::Cluster {
            ca_pem: identity.ca_pem.clone(),
            cluster_id: Some(identity.cluster_id.clone()),
        },
        Some((&identity.cert_pem, &identity.key_pem)),
    )?;
    // HTTP/2 pings find a connection that went silent (a peer cut off, a link that dropped
    // everything for a while) within seconds, instead of after TCP's retransmission backoff:
    // requests on it fail and the next ones open a fresh connection.
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls((*tls).clone())
        .connect_timeout(Duration::from_secs(1))
        .pool_idle_timeout(Duration::from_secs(30))
        .http2_keep_alive_interval(Duration::from_secs(1))
        .http2_keep_alive_timeout(Duration::from_secs(2))
        .http2_keep_alive_while_idle(true)
        .tcp_keepalive(Duration::from_secs(10))
        .build()?)
}

impl Controller {
    /// Commits a command through Raft, forwarding it to the leader when this node is not.
    /// A refusal from the state machine becomes an API error; the configuration version the
    /// command deployed, if any, is returned.
    pub async fn write(&self, origin: Origin, command: Command) -> Result<Option<u64>, ApiError> {
        self.write_attempt(origin, command, 0).await
    }

    /// As [`Controller::write`], for the `attempt`th try of one API request whose earlier
    /// tries were refused because the state moved on (a deploy validated against a version
    /// that a provider replaced): each attempt is its own write, under the same
    /// Idempotency-Key.
    pub async fn write_attempt(&self, origin: Origin, command: Command, attempt: u32) -> Result<Option<u64>, ApiError> {
        // The client's Idempotency-Key, scoped to the caller (one caller cannot make another's
        // write look applied), or a new id: either way a retry below applies at most once.
        let request_id = match traefikee_apiserver::idempotency::current() {
            Some(key) => {
                use sha2::Digest;
                let caller = serde_json::to_string(&origin).map_err(internal)?;
                let key = if attempt == 0 { key } else { format!("{key}\n{attempt}") };
                let digest = sha2::Sha256::digest(format!("{caller}\n{key}"));
                digest[..16].iter().map(|b| format!("{b:02x}")).collect()
            }
            None => state::new_request_id(),
        };
        let request = WriteRequest { origin, command, request_id: Some(request_id) };
        let committed = self.write_hops(request, 0).await?;
        // Read-your-writes: the caller reads this node's state next, which may trail the leader.
        self.db.applied_at_least(committed.index, self.timing.write_timeout()).await;
        match committed.response {
            Response::Done => Ok(None),
            Response::Deployed { version } => Ok(Some(version)),
            Response::Refused(r) => Err(match r.kind {
                RefusalKind::Conflict => ApiError::conflict(r.message),
                RefusalKind::NotFound => ApiError::not_found(r.message),
                RefusalKind::Unauthorized => ApiError::unauthenticated(r.message),
                RefusalKind::Invalid => ApiError::invalid(r.message),
            }),
        }
    }

    /// As [`Controller::write`], counting forwarding hops, returning the raw response and the
    /// index it was committed at.
    ///
    /// A failure says "nothing was changed" only when no leader can have received the entry;
    /// once one may have, the change may still commit after the failure is reported, and the
    /// message says so.
    pub async fn write_hops(&self, req: WriteRequest, hops: u32) -> Result<Committed, ApiError> {
        let deadline = Instant::now() + self.timing.write_timeout();
        let mut maybe_applied = false;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.no_quorum(maybe_applied));
            }
            let entry = Request::new(req.origin.clone(), req.command.clone()).with_request_id(req.request_id.clone());
            match tokio::time::timeout(remaining, self.raft.client_write(entry)).await {
                // Not refused as "not the leader": the entry may be in this node's log.
                Err(_) => return Err(self.no_quorum(true)),
                Ok(Ok(resp)) => return Ok(Committed { response: resp.data, index: resp.log_id.index }),
                Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(fwd)))) => {
                    if hops >= MAX_HOPS {
                        return Err(ApiError::unavailable("the leader moved while the request was being forwarded")
                            .with_hint("try again; nothing was changed"));
                    }
                    let (Some(leader_id), Some(leader)) = (fwd.leader_id, fwd.leader_node) else {
                        // An election is under way.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    // A leader cut off or dead since it was last heard from would hold the
                    // request for the whole timeout: an attempt with an id to retry by gets
                    // an election's worth of time, then goes to whoever leads by then.
                    let attempt = match req.request_id {
                        Some(_) => remaining.min(self.forward_attempt()),
                        None => remaining,
                    };
                    let sent = self.forward::<_, Committed>(&leader.addr, "/cluster/v1/write", &req, hops + 1, attempt);
                    // An election here means that leader lost its followers: a write with an
                    // id goes again, at once, to whoever wins.
                    let outcome = match req.request_id {
                        Some(_) => tokio::select! {
                            outcome = sent => outcome,
                            () = self.leader_moved_from(leader_id) => {
                                Forwarded::Lost(format!("the leader at {} lost its leadership", leader.addr))
                            }
                        },
                        None => sent.await,
                    };
                    match outcome {
                        Forwarded::Answer(answer) => return answer,
                        Forwarded::NotSent(why) => {
                            tracing::debug!("leader {} unreachable ({why}); retrying", leader.addr);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Forwarded::Lost(why) if req.request_id.is_some() => {
                            // Applied at most once whatever happened to the first attempt.
                            tracing::info!("{why}; sending the write again, to the leader known now");
                            maybe_applied = true;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Forwarded::Lost(why) => {
                            return Err(ApiError::unavailable(format!(
                                "{why}; the change may or may not have been applied"
                            ))
                            .with_hint(MAYBE_APPLIED_HINT))
                        }
                    }
                }
                Ok(Err(e)) => {
                    return Err(ApiError::unavailable(format!(
                        "Raft failed on control node {} while the change was being committed ({e}): it may or may \
                         not have been applied",
                        self.identity.name
                    ))
                    .with_hint(MAYBE_APPLIED_HINT))
                }
            }
        }
    }

    /// Resolves once this node no longer follows `leader` (an election began or ended).
    async fn leader_moved_from(&self, leader: NodeId) {
        let mut metrics = self.raft.metrics();
        if metrics.wait_for(|m| m.current_leader != Some(leader)).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// How long one forwarded attempt of a write may take: enough to commit through a healthy
    /// leader, short enough to try a new leader after an election.
    fn forward_attempt(&self) -> Duration {
        (self.timing.election_timeout * 4).max(Duration::from_secs(1))
    }

    /// The write timed out. `maybe_applied`: a leader may hold the entry, which can still
    /// commit.
    pub(super) fn no_quorum(&self, maybe_applied: bool) -> ApiError {
        let voters = self.voters();
        let ready = voters.iter().filter(|v| self.is_ready(**v)).count();
        let needed = voters.len() / 2 + 1;
        let secs = self.timing.write_timeout().as_secs_f64();
        let why = if ready < needed {
            format!("{ready} of {} control nodes answer this one and {needed} are needed", voters.len())
        } else if self.staleness().is_some() {
            "this control node is cut off from the others".to_string()
        } else {
            "the control nodes answer, but Raft did not commit in time (an election, or links slower than \
             --raft.heartbeat-interval allows)"
                .to_string()
        };
        if maybe_applied {
            ApiError::unavailable(format!(
                "no quorum: the change was not confirmed within {secs}s ({why}); it may or may not have been applied"
            ))
            .with_hint(MAYBE_APPLIED_HINT)
        } else {
            ApiError::unavailable(format!("no quorum: no leader took the change within {secs}s ({why})")).with_hint(
                "nothing was changed; bring the control nodes that are DOWN back (`traefikee list-nodes --details`), \
                 or try another control node",
            )
        }
    }

    /// Sends a request to another controller's cluster port.
    async fn forward<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        addr: &str,
        path: &str,
        body: &Req,
        hops: u32,
        timeout: Duration,
    ) -> Forwarded<Resp> {
        let url = format!("https://{addr}{path}");
        let sent = self.peers.post(&url).header(HOPS_HEADER, hops).json(body).timeout(timeout).send().await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) if e.is_connect() => return Forwarded::NotSent(e.to_string()),
            Err(e) => return Forwarded::Lost(format!("the leader at {addr} did not answer ({e})")),
        };
        Forwarded::Answer(decode(resp).await)
    }

    /// Runs `local` if this node leads, or forwards the request to the leader's `path`,
    /// waiting up to the write timeout for a leader to be known.
    pub(super) async fn on_leader<Req, Resp, F, Fut>(
        &self,
        path: &str,
        body: &Req,
        hops: u32,
        local: F,
    ) -> Result<Resp, ApiError>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Resp, ApiError>>,
    {
        let deadline = Instant::now() + self.timing.write_timeout();
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.no_quorum(false));
            }
            match self.leader_addr() {
                Some((leader, _)) if leader == self.id() => return local().await,
                Some((_, addr)) if hops < MAX_HOPS => {
                    match self.forward(&addr, path, body, hops + 1, remaining).await {
                        Forwarded::Answer(a) => return a,
                        Forwarded::NotSent(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                        Forwarded::Lost(why) => {
                            return Err(ApiError::unavailable(format!(
                                "{why}; the change may or may not have been applied"
                            ))
                            .with_hint(MAYBE_APPLIED_HINT))
                        }
                    }
                }
                Some(_) => return Err(ApiError::unavailable("the leader moved while the request was being forwarded")),
                None => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
}

/// Decodes an answer of the cluster port or the API: the body on success, the error shape
/// otherwise.
pub async fn decode<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T, ApiError> {
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| ApiError::unavailable(format!("reading the answer: {e}")))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| internal(format!("unexpected answer: {e}")));
    }
    Err(ApiError::from_answer(status, &bytes))
}
