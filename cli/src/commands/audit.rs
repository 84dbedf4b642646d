//! `audit`: who changed what, when.

use traefikee_apiserver::types::AuditLog;

use super::Session;
use traefikee_client::output::plain_table;
use traefikee_client::Outcome;

pub async fn run(s: &Session, limit: usize) -> Outcome {
    let log: AuditLog = s.client.audit(limit).await?;
    s.print(&log, |l| {
        let rows =
            l.entries.iter().map(|e| vec![e.at.clone(), e.actor.clone(), e.action.clone(), e.detail.clone()]).collect();
        plain_table(&["Time", "Actor", "Action", "Detail"], rows)
    });
    Ok(())
}
