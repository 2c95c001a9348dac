//! Pulling an image anew and naming it by digest: what a rebuild does before it redeploys.
//!
//! Swarm's services name images by reference; the Docker CLI (not the engine) resolves a tag
//! to its digest before it writes a service. The controller does the same for a rebuild: it
//! pulls the reference from its registry and writes `repository:tag@sha256:…`, so every
//! task, on every node, runs exactly the image the rebuild found. A reference without a
//! registry host (a local tag such as `swarmpress/wordpress:abc`) has nowhere to be pulled
//! from here; a rebuild redeploys it from the engine's copy.

use std::time::Duration;

use bollard::query_parameters::CreateImageOptionsBuilder;
use futures_util::StreamExt as _;

use super::client::{SwarmClient, SwarmError};

/// How long a pull may take before the rebuild is retried.
pub const PULL_TIMEOUT: Duration = Duration::from_secs(300);

/// Whether `reference` names the registry it comes from (`127.0.0.1:5000/x`,
/// `registry.example.com/x`, `localhost/x`): the first path component is a host.
pub fn names_registry(reference: &str) -> bool {
    match reference.split_once('/') {
        Some((first, _)) => first.contains('.') || first.contains(':') || first == "localhost",
        None => false,
    }
}

/// `reference` without its tag or digest: the repository, as `RepoDigests` name it.
pub fn repository(reference: &str) -> &str {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let name_start = without_digest.rfind('/').map_or(0, |slash| slash + 1);
    match without_digest[name_start..].rfind(':') {
        Some(colon) => &without_digest[..name_start + colon],
        None => without_digest,
    }
}

/// The digest among `repo_digests` (`repository@sha256:…`) that belongs to `reference`.
pub fn digest_of<'a>(reference: &str, repo_digests: &'a [String]) -> Option<&'a str> {
    let repository = repository(reference);
    repo_digests.iter().find_map(|entry| {
        let (name, digest) = entry.split_once('@')?;
        (name == repository).then_some(digest)
    })
}

impl SwarmClient {
    /// Pulls `reference` from its registry and returns it named by digest
    /// (`repository:tag@sha256:…`).
    pub async fn pull_by_digest(&self, reference: &str) -> Result<String, SwarmError> {
        let docker = self.docker();
        let options = CreateImageOptionsBuilder::default()
            .from_image(reference)
            .build();
        let mut progress = docker.create_image(Some(options), None, None);
        let pulled = tokio::time::timeout(PULL_TIMEOUT, async {
            while let Some(step) = progress.next().await {
                step?;
            }
            Ok::<(), bollard::errors::Error>(())
        })
        .await;
        match pulled {
            Ok(result) => result?,
            Err(_) => {
                return Err(SwarmError::PullTimedOut {
                    reference: reference.to_owned(),
                    waited: PULL_TIMEOUT,
                });
            }
        }
        let image = docker.inspect_image(reference).await?;
        let digests = image.repo_digests.unwrap_or_default();
        let digest = digest_of(reference, &digests)
            .ok_or_else(|| SwarmError::NoDigest(reference.to_owned()))?;
        let name = reference.split('@').next().unwrap_or(reference);
        Ok(format!("{name}@{digest}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_host_is_told_from_a_local_name() {
        assert!(names_registry("127.0.0.1:5000/swarmpress/wordpress:1"));
        assert!(names_registry("registry.example.com/wp"));
        assert!(names_registry("localhost/wp:2"));
        assert!(!names_registry("swarmpress/wordpress:abc"));
        assert!(!names_registry("wordpress"));
    }

    #[test]
    fn the_digest_is_the_one_of_the_references_repository() {
        assert_eq!(repository("127.0.0.1:5000/a/b:tag"), "127.0.0.1:5000/a/b");
        assert_eq!(repository("127.0.0.1:5000/a/b"), "127.0.0.1:5000/a/b");
        assert_eq!(repository("host/a:1@sha256:abc"), "host/a");
        let digests = [
            "other.example/a@sha256:111".to_owned(),
            "127.0.0.1:5000/a/b@sha256:222".to_owned(),
        ];
        assert_eq!(
            digest_of("127.0.0.1:5000/a/b:tag", &digests),
            Some("sha256:222")
        );
        assert_eq!(digest_of("127.0.0.1:5000/a/c:tag", &digests), None);
    }
}
