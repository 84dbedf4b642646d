//! `deploy` and `get config`.

use std::time::Duration;

use traefikee_apiserver::types::{DeployResult, DeployedConfig, NodeList};

use super::Session;
use crate::deploy::{report, request, wait_for_version, DeployArgs};
use crate::failure::{Failure, Outcome};
use crate::output::{escape, Format};

pub async fn deploy(s: &Session, args: &DeployArgs) -> Outcome {
    let req = request(args)?;
    let result: DeployResult = s.post("/api/v1/config", &req).await?;
    report(&result);
    match (args.wait, result.version) {
        (true, Some(version)) => {
            wait_for_version(version, Duration::from_secs(args.wait_timeout), || s.get::<NodeList>("/api/v1/nodes"))
                .await
        }
        _ => Ok(()),
    }
}

pub async fn get(s: &Session) -> Outcome {
    let config: DeployedConfig = s.get("/api/v1/config").await?;
    match s.format {
        Format::Json => s.print(&config, |_| String::new()),
        Format::Table | Format::Yaml => {
            let yaml = serde_yaml::to_string(&config.document).map_err(|e| Failure::refused(e.to_string()))?;
            print!(
                "# version {}, deployed {} by {}\n# {}\n{yaml}",
                config.version,
                escape(&config.deployed_at),
                escape(&config.deployed_by),
                escape(&config.summary)
            );
        }
    }
    Ok(())
}
