//! `tokens show|rotate`.

use traefikee_apiserver::types::Tokens;

use super::Session;
use traefikee_client::output::escape;
use traefikee_client::Outcome;

fn exports(t: &Tokens) -> String {
    format!(
        "export CONTROL_NODE_TOKEN=\"{}\"\nexport DATA_NODE_TOKEN=\"{}\"\n",
        escape(&t.control_node_token),
        escape(&t.data_node_token)
    )
}

pub async fn show(s: &Session) -> Outcome {
    let t: Tokens = s.client.tokens().await?;
    s.print(&t, exports);
    Ok(())
}

pub async fn rotate(s: &Session) -> Outcome {
    let t: Tokens = s.client.rotate_tokens().await?;
    eprintln!("Join tokens rotated: the previous ones are refused from now on.");
    s.print(&t, exports);
    Ok(())
}
