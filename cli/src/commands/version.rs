//! `version`: the client's, then the cluster's.

use serde::Serialize;

use super::Session;
use traefikee_client::output::{escape, render, Format};
use traefikee_client::Outcome;

#[derive(Serialize)]
struct Versions {
    client: String,
    server: Option<String>,
    cluster: Option<String>,
}

pub async fn run(clustername: Option<&str>, format: Format) -> Outcome {
    let client = traefikee_apiserver::VERSION.to_string();
    let server = match Session::open(clustername, format).await {
        Ok(s) => s.client.cluster_info().await,
        Err(f) => Err(f),
    };
    let (info, failure) = match server {
        Ok(info) => (Some(info), None),
        Err(f) => (None, Some(f)),
    };
    let v = Versions {
        client,
        server: info.as_ref().map(|i| i.version.clone()),
        cluster: info.as_ref().map(|i| format!("{} ({})", i.name, i.id)),
    };
    traefikee_client::out!(
        "{}",
        render(format, &v, |v| {
            let mut s = format!("Client: traefikeectl {}\n", v.client);
            if let (Some(server), Some(cluster)) = (&v.server, &v.cluster) {
                s.push_str(&format!("Server: traefikee {} (cluster {})\n", escape(server), escape(cluster)));
            }
            s
        })
    );
    match failure {
        Some(f) => Err(f),
        None => Ok(()),
    }
}
