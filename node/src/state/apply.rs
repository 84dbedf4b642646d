use heed::{RoTxn, RwTxn};
use traefikee_pki::{JoinToken, TokenRole};

use super::keys;
use super::read::{get, put, SmDb, StateError, StateView};
use super::{Command, Consumption, CredentialRecord, NodeKind, Origin, RefusalKind, Request, Response, UnixMillis};

/// A deploy after version u64::MAX (an archive can carry any version): refused, never
/// wrapped to 0. Found by the `state_apply` fuzz target.
const VERSIONS_EXHAUSTED: &str = "the configuration version cannot go past 18446744073709551615; nothing was changed";

/// How many audit records are kept; older ones are dropped as new ones come.
const AUDIT_RETENTION: u64 = 10_000;

/// Applies one command inside the caller's write transaction.
pub fn apply(db: SmDb, txn: &mut RwTxn<'_>, req: &Request) -> Result<Response, StateError> {
    if let Some(id) = &req.request_id {
        if let Some(earlier) = get::<AppliedRequest>(db, txn, &keys::request(id))? {
            return Ok(earlier.response);
        }
    }
    let response = apply_once(db, txn, req)?;
    if let Some(id) = &req.request_id {
        remember(db, txn, id, req.at, &response)?;
    }
    Ok(response)
}

fn apply_once(db: SmDb, txn: &mut RwTxn<'_>, req: &Request) -> Result<Response, StateError> {
    if let Some(origin) = &req.origin {
        if let Some(why) = origin_refused(&view(db, txn), origin)? {
            return Ok(Response::refused(RefusalKind::Unauthorized, format!("{why}; nothing was changed")));
        }
    }
    let (response, detail) = apply_command(db, txn, req)?;
    if let (Response::Done | Response::Deployed { .. }, Some((action, detail))) = (&response, detail) {
        audit(db, txn, req, action, detail)?;
    }
    Ok(response)
}

/// How long an applied request id is remembered: far longer than any retry of a write
/// (a write gives up after its timeout, a few seconds).
const REMEMBER_REQUESTS_MS: UnixMillis = 10 * 60 * 1000;

/// A request id already applied, and what it gave.
#[derive(serde::Serialize, serde::Deserialize)]
struct AppliedRequest {
    at: UnixMillis,
    response: Response,
}

/// Records `id` as applied and forgets the ids proposed more than [`REMEMBER_REQUESTS_MS`]
/// before this one (by the leaders' clocks, carried in the entries: every replica forgets
/// the same ones).
fn remember(db: SmDb, txn: &mut RwTxn<'_>, id: &str, at: UnixMillis, response: &Response) -> Result<(), StateError> {
    let cutoff = keys::request_at(at.saturating_sub(REMEMBER_REQUESTS_MS), "");
    let mut expired = Vec::new();
    for item in db.prefix_iter(txn, keys::REQUEST_AT_PREFIX)? {
        let (key, _) = item?;
        if key >= cutoff.as_str() {
            break;
        }
        expired.push(key.to_string());
    }
    for key in expired {
        db.delete(txn, &key)?;
        if let Some((_, old)) = key.rsplit_once('/') {
            db.delete(txn, &keys::request(old))?;
        }
    }
    put(db, txn, &keys::request(id), &AppliedRequest { at, response: response.clone() })?;
    put(db, txn, &keys::request_at(at, id), &())
}

/// Checked here, in log order, so that a credential revoked by an earlier entry changes
/// nothing, whichever controller authenticated the request and however stale it was; and a
/// credential the cluster never issued (a forged origin) changes nothing either.
pub fn origin_refused(v: &StateView<'_>, origin: &Origin) -> Result<Option<String>, StateError> {
    let Some(serial) = origin.credential_serial() else { return Ok(None) };
    if v.is_revoked(serial)? {
        return Ok(Some(format!("the credential of {} ({serial}) has been revoked", origin.actor())));
    }
    let issued = match origin {
        Origin::Operator { name, .. } => v.credential(serial)?.is_some_and(|c| &c.name == name),
        Origin::Enrollment { id, .. } => v.enrollment(id)?.is_some_and(|e| e.serial == serial),
        Origin::Local { .. } | Origin::System { .. } => true,
    };
    Ok((!issued).then(|| format!("the credential of {} ({serial}) was not issued by this cluster", origin.actor())))
}

fn issued(node: &super::NodeRecord) -> super::Issued {
    super::Issued { node: node.id, key_sha256: node.key_sha256.clone() }
}

type Applied = (Response, Option<(&'static str, String)>);

fn done(action: &'static str, detail: String) -> Result<Applied, StateError> {
    Ok((Response::Done, Some((action, detail))))
}

fn refused(kind: RefusalKind, message: String) -> Result<Applied, StateError> {
    Ok((Response::refused(kind, message), None))
}

fn view<'a>(db: SmDb, txn: &'a RoTxn<'a>) -> StateView<'a> {
    StateView::new(db, txn)
}

fn apply_command(db: SmDb, txn: &mut RwTxn<'_>, req: &Request) -> Result<Applied, StateError> {
    match &req.command {
        Command::InitCluster(init) => {
            let super::InitCluster { cluster, control, data, node, enrollment } = init.as_ref();
            if let Some(existing) = view(db, txn).cluster()? {
                return refused(RefusalKind::Conflict, format!("cluster {} is already initialized", existing.id));
            }
            put(db, txn, keys::CLUSTER, cluster)?;
            put(db, txn, &keys::token(TokenRole::Control), control)?;
            put(db, txn, &keys::token(TokenRole::Data), data)?;
            put(db, txn, &keys::node(node.id), node)?;
            put(db, txn, &keys::issued(&node.cert_serial), &issued(node))?;
            put(db, txn, &keys::enrollment(&enrollment.id), enrollment)?;
            done("cluster.init", format!("cluster {} ({}) created by {}", cluster.name, cluster.id, node.name))
        }
        Command::AddNode { node, token_id } => {
            let v = view(db, txn);
            if v.cluster()?.is_none() {
                return refused(RefusalKind::Invalid, "the cluster is not initialized".into());
            }
            let role = match node.kind {
                NodeKind::Controller => TokenRole::Control,
                NodeKind::Proxy => TokenRole::Data,
            };
            let current = v.token(role)?.and_then(|t| t.token.parse::<JoinToken>().ok());
            if current.as_ref().map(|t| &t.id) != Some(token_id) {
                return refused(
                    RefusalKind::Unauthorized,
                    format!("the {} was rotated while {} was joining", role.describe(), node.name),
                );
            }
            if let Some(existing) = v.node(node.id)? {
                if existing == *node {
                    return Ok((Response::Done, None));
                }
                // A join retried with the key the node kept: the same node, a new certificate.
                if !existing.rejoined_by(node) {
                    return refused(RefusalKind::Conflict, format!("node id {} is already taken", node.id));
                }
                put(db, txn, &keys::node(node.id), node)?;
                put(db, txn, &keys::issued(&node.cert_serial), &issued(node))?;
                return done(
                    "node.rejoin",
                    format!("{} ({}) joined again with its key", node.name, keys::node_id_text(node.id)),
                );
            }
            if let Some(other) = v.node_by_name(&node.name)? {
                return refused(
                    RefusalKind::Conflict,
                    format!(
                        "a node named {:?} is already in the cluster (id {})",
                        node.name,
                        keys::node_id_text(other.id)
                    ),
                );
            }
            put(db, txn, &keys::node(node.id), node)?;
            put(db, txn, &keys::issued(&node.cert_serial), &issued(node))?;
            let kind = match node.kind {
                NodeKind::Controller => "control node",
                NodeKind::Proxy => "data node",
            };
            done(
                "node.join",
                format!("{kind} {} ({}) joined from {}", node.name, keys::node_id_text(node.id), node.address),
            )
        }
        Command::RemoveNode { id, tokens } => {
            let Some(node) = view(db, txn).node(*id)? else {
                return refused(RefusalKind::NotFound, format!("no node with id {}", keys::node_id_text(*id)));
            };
            db.delete(txn, &keys::node(*id))?;
            // Its certificate is no longer welcome anywhere.
            put(db, txn, &keys::revoked(&node.cert_serial), &req.at)?;
            let mut detail = format!("{} ({}) removed", node.name, keys::node_id_text(*id));
            if let Some((control, data)) = tokens {
                put(db, txn, &keys::token(TokenRole::Control), control)?;
                put(db, txn, &keys::token(TokenRole::Data), data)?;
                detail.push_str("; join tokens replaced");
            }
            done("node.remove", detail)
        }
        Command::ForgetNode { id } => {
            let Some(node) = view(db, txn).node(*id)? else {
                return Ok((Response::Done, None));
            };
            db.delete(txn, &keys::node(*id))?;
            done("node.forget", format!("{} ({}) left the list", node.name, keys::node_id_text(*id)))
        }
        Command::Reinstate { node } => {
            let v = view(db, txn);
            if v.is_revoked(&node.cert_serial)? {
                return refused(RefusalKind::Unauthorized, format!("{} was removed from the cluster", node.name));
            }
            let marker: Option<super::Issued> = get(db, txn, &keys::issued(&node.cert_serial))?;
            let genuine = marker.is_some_and(|m| {
                m.node == node.id && m.key_sha256.as_ref().is_none_or(|k| Some(k) == node.key_sha256.as_ref())
            });
            if !genuine {
                return refused(
                    RefusalKind::Unauthorized,
                    format!(
                        "the certificate {} was never issued to node {} of this cluster",
                        node.cert_serial, node.name
                    ),
                );
            }
            if v.node(node.id)?.is_some() {
                return Ok((Response::Done, None));
            }
            if let Some(other) = v.node_by_name(&node.name)? {
                return refused(
                    RefusalKind::Conflict,
                    format!("the name {:?} is now taken by node {}", node.name, keys::node_id_text(other.id)),
                );
            }
            put(db, txn, &keys::node(node.id), node)?;
            done("node.reinstate", format!("data node {} ({}) is back", node.name, keys::node_id_text(node.id)))
        }
        Command::RotateTokens { control, data } => {
            put(db, txn, &keys::token(TokenRole::Control), control)?;
            put(db, txn, &keys::token(TokenRole::Data), data)?;
            done("tokens.rotate", "control and data node tokens replaced".into())
        }
        Command::CreateEnrollment(e) => {
            put(db, txn, &keys::enrollment(&e.id), e)?;
            let who = e.for_name.as_deref().unwrap_or("an operator");
            done("credentials.create", format!("one-time credential {} for {who}", e.id))
        }
        Command::ExchangeEnrollment { enrollment, credential } => exchange(db, txn, req, enrollment, credential),
        Command::Revoke { serials } => revoke(db, txn, req, serials),
        Command::Deploy { document, summary, base } => {
            let current = view(db, txn).config_version()?;
            if base.is_some() && *base != Some(view(db, txn).providers_version()?) {
                return refused(RefusalKind::Conflict, MOVED_ON.into());
            }
            let Some(version) = current.checked_add(1) else {
                return refused(RefusalKind::Invalid, VERSIONS_EXHAUSTED.into());
            };
            let record = super::ConfigRecord {
                version,
                document: document.clone(),
                deployed_at: req.at,
                deployed_by: req.actor.clone(),
                summary: summary.clone(),
            };
            put(db, txn, keys::CONFIG, &record)?;
            put(db, txn, keys::CONFIG_VERSION, &version)?;
            Ok((Response::Deployed { version }, Some(("config.deploy", format!("version {version}: {summary}")))))
        }
        Command::Restore(restore) => self::restore(db, txn, req, restore),
        Command::Provide { provider, update } => provide(db, txn, req, provider, update),
        Command::FinishBootstrap => {
            let Some(mut cluster) = view(db, txn).cluster()? else {
                return refused(RefusalKind::Invalid, "the cluster is not initialized".into());
            };
            let Some(plan) = cluster.bootstrap.take() else {
                return Ok((Response::Done, None));
            };
            put(db, txn, keys::CLUSTER, &cluster)?;
            db.delete(txn, &keys::node(plan.bootstrap_node))?;
            done("bootstrap.finish", format!("bootstrap handed the cluster to {} control nodes", plan.control_nodes))
        }
    }
}

fn exchange(
    db: SmDb,
    txn: &mut RwTxn<'_>,
    req: &Request,
    enrollment: &str,
    credential: &CredentialRecord,
) -> Result<Applied, StateError> {
    let Some(mut record) = view(db, txn).enrollment(enrollment)? else {
        return refused(RefusalKind::NotFound, format!("no enrollment credential {enrollment}"));
    };
    if let Some(used) = &record.consumed {
        return refused(
            RefusalKind::Conflict,
            format!(
                "these credentials were already used on {} by {}: an enrollment credential works once",
                super::rfc3339(used.at),
                used.by
            ),
        );
    }
    if record.revoked.is_some() {
        return refused(RefusalKind::Unauthorized, "these credentials were revoked".into());
    }
    record.consumed = Some(Consumption { at: req.at, by: credential.name.clone() });
    put(db, txn, &keys::enrollment(enrollment), &record)?;
    put(db, txn, &keys::credential(&credential.serial), credential)?;
    done(
        "credentials.exchange",
        format!("operator {} got credential {} (enrollment {enrollment})", credential.name, credential.serial),
    )
}

/// Refusal of a write validated against a configuration version that is no longer current.
pub const MOVED_ON: &str = "the configuration changed while this one was being validated";

fn provide(
    db: SmDb,
    txn: &mut RwTxn<'_>,
    req: &Request,
    name: &str,
    update: &super::ProviderUpdate,
) -> Result<Applied, StateError> {
    use super::ProviderUpdate;
    let v = view(db, txn);
    let current = v.config_version()?;
    let record = v.provider(name)?;
    let mut rec =
        record.clone().unwrap_or_else(|| super::ProviderRecord { name: name.to_string(), ..Default::default() });
    let providers_version = v.providers_version()?;
    // A provider's change makes a configuration version, and moves the providers' version on.
    let bump = |db: SmDb, txn: &mut RwTxn<'_>| -> Result<Option<u64>, StateError> {
        let Some(version) = current.checked_add(1) else { return Ok(None) };
        put(db, txn, keys::CONFIG_VERSION, &version)?;
        put(db, txn, keys::PROVIDERS_VERSION, &providers_version.wrapping_add(1))?;
        Ok(Some(version))
    };
    match update {
        ProviderUpdate::Config { document, summary, base } => {
            if *base != current {
                return refused(RefusalKind::Conflict, MOVED_ON.into());
            }
            let Some(version) = bump(db, txn)? else {
                return refused(RefusalKind::Invalid, VERSIONS_EXHAUSTED.into());
            };
            rec.document = Some(document.clone());
            rec.summary = summary.clone();
            rec.changed_at = Some(req.at);
            rec.changed_in = version;
            rec.error = None;
            rec.failed_since = None;
            put(db, txn, &keys::provider(name), &rec)?;
            Ok((
                Response::Deployed { version },
                Some(("provider.update", format!("version {version}: {name} gave {summary}"))),
            ))
        }
        ProviderUpdate::Failed { error } => {
            rec.failed_since = rec.failed_since.or(Some(req.at));
            rec.error = Some(error.clone());
            put(db, txn, &keys::provider(name), &rec)?;
            done("provider.error", format!("{name}: {error}"))
        }
        ProviderUpdate::Healthy => {
            rec.error = None;
            rec.failed_since = None;
            put(db, txn, &keys::provider(name), &rec)?;
            done("provider.healthy", format!("{name} works again"))
        }
        ProviderUpdate::Removed => {
            // What proxies run already leaves out a provider the deployed configuration no
            // longer enables: forgetting it makes no version.
            if record.is_none() {
                return Ok((Response::Done, None));
            }
            db.delete(txn, &keys::provider(name))?;
            // A deploy validated while its part was there must validate again.
            put(db, txn, keys::PROVIDERS_VERSION, &providers_version.wrapping_add(1))?;
            done("provider.remove", format!("{name} is no longer configured; what it gave is forgotten"))
        }
    }
}

fn revoke(db: SmDb, txn: &mut RwTxn<'_>, req: &Request, serials: &[String]) -> Result<Applied, StateError> {
    let v = view(db, txn);
    let credentials = v.credentials()?;
    let enrollments = v.enrollments()?;
    let mut names = Vec::new();
    for serial in serials {
        put(db, txn, &keys::revoked(serial), &req.at)?;
        let stamp = Some(Consumption { at: req.at, by: req.actor.clone() });
        if let Some(mut c) = credentials.iter().find(|c| &c.serial == serial).cloned() {
            names.push(format!("{} ({serial})", c.name));
            c.revoked = stamp;
            put(db, txn, &keys::credential(serial), &c)?;
        } else if let Some(mut e) = enrollments.iter().find(|e| &e.serial == serial).cloned() {
            names.push(format!("enrollment {} ({serial})", e.id));
            e.revoked = stamp;
            put(db, txn, &keys::enrollment(&e.id), &e)?;
        } else {
            names.push(serial.clone());
        }
    }
    done("credentials.revoke", format!("revoked {}", names.join(", ")))
}

fn restore(db: SmDb, txn: &mut RwTxn<'_>, req: &Request, r: &super::Restore) -> Result<Applied, StateError> {
    let v = view(db, txn);
    if v.cluster()?.is_none() {
        return refused(RefusalKind::Invalid, "the cluster is not initialized".into());
    }
    let mut done_parts = Vec::new();
    let mut deployed = None;
    if let Some(config) = &r.config {
        let next = v.config_version()?.checked_add(1);
        let version = match (r.keep_version, next) {
            (true, _) => config.version,
            (false, Some(next)) => next,
            (false, None) => return refused(RefusalKind::Invalid, VERSIONS_EXHAUSTED.into()),
        };
        let record = super::ConfigRecord {
            version,
            document: config.document.clone(),
            deployed_at: req.at,
            deployed_by: req.actor.clone(),
            summary: config.summary.clone(),
        };
        put(db, txn, keys::CONFIG, &record)?;
        put(db, txn, keys::CONFIG_VERSION, &version)?;
        done_parts.push(format!("configuration as version {version} ({})", config.summary));
        deployed = Some(version);
    }
    if let Some((control, data)) = &r.tokens {
        put(db, txn, &keys::token(TokenRole::Control), control)?;
        put(db, txn, &keys::token(TokenRole::Data), data)?;
        done_parts.push("join tokens".into());
    }
    let v = view(db, txn);
    let mut enrollments = Vec::new();
    for e in &r.enrollments {
        let mut merged = e.clone();
        if let Some(now) = v.enrollment(&e.id)? {
            merged.consumed = now.consumed.or(merged.consumed);
            merged.revoked = now.revoked.or(merged.revoked);
        }
        enrollments.push(merged);
    }
    let mut credentials = Vec::new();
    for c in &r.credentials {
        let mut merged = c.clone();
        if let Some(now) = v.credentials()?.into_iter().find(|x| x.serial == c.serial) {
            merged.revoked = now.revoked.or(merged.revoked);
        }
        credentials.push(merged);
    }
    for e in &enrollments {
        put(db, txn, &keys::enrollment(&e.id), e)?;
    }
    for c in &credentials {
        put(db, txn, &keys::credential(&c.serial), c)?;
    }
    let current_nodes: Vec<String> = view(db, txn).nodes()?.into_iter().map(|n| n.cert_serial).collect();
    for (serial, at) in &r.revoked {
        // An archive never revokes a node of the registry: removing a node is `rm-node`.
        if current_nodes.contains(serial) {
            continue;
        }
        if db.get(txn, &keys::revoked(serial))?.is_none() {
            put(db, txn, &keys::revoked(serial), at)?;
        }
    }
    for (serial, node) in &r.issued {
        put(db, txn, &keys::issued(serial), node)?;
    }
    if !credentials.is_empty() || !enrollments.is_empty() {
        done_parts.push(format!("{} credential records", credentials.len() + enrollments.len()));
    }
    if !r.revoked.is_empty() {
        done_parts.push(format!("{} revocations", r.revoked.len()));
    }
    let what = if done_parts.is_empty() { "nothing".to_owned() } else { done_parts.join(", ") };
    let detail = format!("restored {what} from the {}", r.source);
    match deployed {
        Some(version) => Ok((Response::Deployed { version }, Some(("backup.restore", detail)))),
        None => done("backup.restore", detail),
    }
}

fn audit(db: SmDb, txn: &mut RwTxn<'_>, req: &Request, action: &str, detail: String) -> Result<(), StateError> {
    let seq = get::<u64>(db, txn, keys::AUDIT_SEQ)?.unwrap_or(0) + 1;
    let record = super::AuditRecord { seq, at: req.at, actor: req.actor.clone(), action: action.to_string(), detail };
    put(db, txn, &keys::audit(seq), &record)?;
    put(db, txn, keys::AUDIT_SEQ, &seq)?;
    if seq > AUDIT_RETENTION {
        db.delete(txn, &keys::audit(seq - AUDIT_RETENTION))?;
    }
    Ok(())
}
