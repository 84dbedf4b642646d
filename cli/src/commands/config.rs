//! `deploy` and `get config`.

use traefikee_apiserver::types::{DeployedConfig, ProviderList};
use traefikee_client::deploy::DeployArgs;

use super::Session;
use crate::progress::Bar;
use traefikee_client::output::{escape, Format};
use traefikee_client::{Failure, Outcome};

pub async fn deploy(s: &Session, args: &DeployArgs) -> Outcome {
    traefikee_client::deploy::run(&s.client, args, &Bar::terminal()).await
}

pub async fn get(s: &Session) -> Outcome {
    let config: DeployedConfig = s.client.config().await?;
    match s.format {
        Format::Json => s.print(&config, |_| String::new()),
        Format::Table | Format::Yaml => {
            let yaml = serde_yaml::to_string(&config.document).map_err(|e| Failure::internal(e.to_string()))?;
            traefikee_client::out!(
                "# version {}, deployed {} by {}\n# {}\n{yaml}",
                config.version,
                escape(&config.deployed_at),
                escape(&config.deployed_by),
                escape(&config.summary)
            );
            for (provider, part) in &config.providers {
                let yaml = serde_yaml::to_string(part).map_err(|e| Failure::internal(e.to_string()))?;
                traefikee_client::out!(
                    "---\n# from the {0} provider: proxies run these as NAME@{0}\n{yaml}",
                    escape(provider)
                );
            }
        }
    }
    Ok(())
}

pub async fn providers(s: &Session) -> Outcome {
    let list: ProviderList = s.client.providers().await?;
    s.print(&list, traefikee_client::output::providers_table);
    Ok(())
}
