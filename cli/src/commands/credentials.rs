//! `credentials create|list|revoke`.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

use traefikee_apiserver::types::{
    CreateCredentialRequest, CredentialInfo, CredentialList, NewCredential, RevokeRequest, Revoked,
};

use super::Session;
use crate::args::CreateCredentialArgs;
use traefikee_client::output::{escape, plain_table, upper};
use traefikee_client::{Failure, Outcome};

fn table(list: &[CredentialInfo]) -> String {
    let rows = list
        .iter()
        .map(|c| vec![c.name.clone(), upper(&c.kind), upper(&c.status), c.id.clone(), c.expires_at.clone()])
        .collect();
    plain_table(&["Name", "Kind", "Status", "ID", "Expires"], rows)
}

pub async fn create(s: &Session, args: CreateCredentialArgs) -> Outcome {
    let dir = args.output_dir.clone().unwrap_or_else(|| format!("{}-credentials", args.name).into());
    if dir.join("cert.pem").exists() {
        return Err(
            Failure::refused(format!("{} already holds credentials", dir.display())).hint("pass another --output-dir")
        );
    }
    let new: NewCredential = s.client.create_credential(&CreateCredentialRequest { name: args.name.clone() }).await?;
    let fail = |e: std::io::Error| {
        Failure::io(format!("cannot write {}: {e}", dir.display())).hint(format!(
            "the credentials exist but are lost; revoke them with `traefikeectl credentials revoke {}`",
            new.id
        ))
    };
    fs::create_dir_all(&dir).map_err(fail)?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(fail)?;
    for (file, text) in [("ca.pem", &new.ca_pem), ("cert.pem", &new.cert_pem), ("key.pem", &new.key_pem)] {
        let mut f = fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(dir.join(file))
            .map_err(fail)?;
        f.write_all(text.as_bytes()).map_err(fail)?;
    }
    traefikee_client::outln!(
        "One-time credentials for {} written to {} (usable once, until {}).",
        escape(&new.name),
        dir.display(),
        escape(&new.expires_at)
    );
    traefikee_client::outln!(
        "Hand them to {} over a safe channel; they run: traefikeectl connect --onpremise.mtlscertsdir=DIR --onpremise.apiaddress={}",
        escape(&new.name),
        s.profile.meta.api_address
    );
    Ok(())
}

pub async fn list(s: &Session) -> Outcome {
    let list: CredentialList = s.client.credentials().await?;
    s.print(&list, |l| table(&l.credentials));
    Ok(())
}

pub async fn revoke(s: &Session, credential: &str) -> Outcome {
    let revoked: Revoked = s.client.revoke_credential(&RevokeRequest { credential: credential.to_string() }).await?;
    for c in &revoked.revoked {
        traefikee_client::outln!("Revoked {} {} ({})", escape(&c.name), upper(&c.kind).to_lowercase(), escape(&c.id));
    }
    Ok(())
}
