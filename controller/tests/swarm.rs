//! `SwarmClient` and the tenant service spec against the real local Swarm.

mod common;

use std::collections::HashMap;

use swarmpress_controller::adapters::swarm::{
    DATA_NETWORK, EDGE_NETWORK, SPEC_HASH_LABEL, SwarmClient, TENANT_LABEL, WordPressService,
};
use swarmpress_schema::TenantName;

fn labels(tenant: &TenantName) -> HashMap<String, String> {
    HashMap::from([(TENANT_LABEL.to_owned(), tenant.to_string())])
}

fn secret_names(tenant: &TenantName) -> [String; 3] {
    let service = tenant.service_name();
    [
        format!("{service}_db_password"),
        format!("{service}_admin_password"),
        format!("{service}_s3"),
    ]
}

async fn remove_everything(swarm: SwarmClient, tenant: TenantName) {
    let report = |what: &str, result: Result<bool, _>| {
        if let Err(error) = result {
            eprintln!("cleanup of {what} failed: {error}");
        }
    };
    report(
        "service",
        swarm.remove_service(&tenant.service_name()).await,
    );
    if let Err(error) = swarm
        .wait_service_gone(&tenant.service_name(), common::GONE_TIMEOUT)
        .await
    {
        eprintln!("cleanup: {error}");
    }
    report("volume", swarm.remove_volume(&tenant.volume_name()).await);
    for name in secret_names(&tenant) {
        report("secret", swarm.remove_secret(&name).await);
    }
}

#[tokio::test]
async fn negotiates_down_to_the_engine_api_version() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let engine = platform.swarm.docker().version().await.unwrap();
    let engine_api = engine.api_version.unwrap();
    let client_api = platform.swarm.docker().client_version().to_string();
    let parse = |v: &str| -> (u64, u64) {
        let (major, minor) = v.split_once('.').unwrap();
        (major.parse().unwrap(), minor.parse().unwrap())
    };
    let newest = bollard::API_DEFAULT_VERSION.to_string();
    assert_eq!(
        parse(&client_api),
        parse(&engine_api).min(parse(&newest)),
        "client speaks {client_api}, engine {engine_api}, bollard at most {newest}"
    );
}

#[tokio::test]
async fn secrets_are_created_once_and_removed_idempotently() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let tenant = common::unique_tenant("itsec");
    let swarm = platform.swarm.clone();
    let body_tenant = tenant.clone();
    common::with_cleanup(
        async move {
            let tenant = body_tenant;
            let [name, ..] = secret_names(&tenant);
            assert_eq!(swarm.find_secret(&name).await.unwrap(), None);

            let created = swarm
                .ensure_secret(&name, labels(&tenant), b"first")
                .await
                .unwrap();
            assert_eq!(created.name, name);
            assert!(!created.id.is_empty());
            let again = swarm
                .ensure_secret(&name, labels(&tenant), b"second")
                .await
                .unwrap();
            assert_eq!(again, created, "an existing secret is reused, not replaced");
            assert_eq!(swarm.find_secret(&name).await.unwrap(), Some(created));

            // A name that merely starts with ours is a different secret.
            assert_eq!(
                swarm.find_secret(&name[..name.len() - 1]).await.unwrap(),
                None
            );

            assert!(swarm.remove_secret(&name).await.unwrap());
            assert!(!swarm.remove_secret(&name).await.unwrap());
            assert_eq!(swarm.find_secret(&name).await.unwrap(), None);
        },
        remove_everything(platform.swarm.clone(), tenant),
    )
    .await;
}

#[tokio::test]
async fn volumes_are_created_and_removed_idempotently() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let tenant = common::unique_tenant("itvol");
    let swarm = platform.swarm.clone();
    let body_tenant = tenant.clone();
    common::with_cleanup(
        async move {
            let name = body_tenant.volume_name();
            swarm
                .ensure_volume(&name, labels(&body_tenant))
                .await
                .unwrap();
            swarm
                .ensure_volume(&name, labels(&body_tenant))
                .await
                .unwrap();
            let volume = swarm.docker().inspect_volume(&name).await.unwrap();
            assert_eq!(
                volume.labels.get(TENANT_LABEL).map(String::as_str),
                Some(body_tenant.as_str())
            );
            assert!(swarm.remove_volume(&name).await.unwrap());
            assert!(!swarm.remove_volume(&name).await.unwrap());
        },
        remove_everything(platform.swarm.clone(), tenant),
    )
    .await;
}

/// The full WordPress spec is accepted by the engine, found by label, updated in place and
/// removed. Zero replicas: this checks the API contract, the smoke test checks the site.
#[tokio::test]
async fn tenant_service_is_created_listed_updated_and_removed() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let tenant = common::unique_tenant("itsvc");
    let swarm = platform.swarm.clone();
    let body_tenant = tenant.clone();
    common::with_cleanup(
        async move {
            let tenant = body_tenant;
            let [db_secret, admin_secret, s3_secret] = secret_names(&tenant);
            let db_secret = swarm
                .ensure_secret(&db_secret, labels(&tenant), b"unused")
                .await
                .unwrap();
            let admin_secret = swarm
                .ensure_secret(&admin_secret, labels(&tenant), b"unused")
                .await
                .unwrap();
            let s3_secret = swarm
                .ensure_secret(&s3_secret, labels(&tenant), b"unused")
                .await
                .unwrap();
            swarm
                .ensure_volume(&tenant.volume_name(), labels(&tenant))
                .await
                .unwrap();
            let mut desired = WordPressService {
                name: tenant.clone(),
                image: "swarmpress/wordpress:latest".into(),
                replicas: 0,
                cpu_nanos: 500_000_000,
                memory_bytes: 256 * 1024 * 1024,
                public_url: format!("http://{}:8080", tenant.hostname("localhost")),
                path_prefix: None,
                site_title: "Integration".into(),
                admin_user: "admin".into(),
                admin_email: "admin@example.test".into(),
                db_host: "mariadb".into(),
                db_secret,
                admin_secret,
                s3_secret,
                s3_endpoint: "http://s3:8333".into(),
                network_edge: EDGE_NETWORK.into(),
                network_data: DATA_NETWORK.into(),
                base_domain: "localhost".into(),
                region: None,
                env: Default::default(),
                restart_token: "one".into(),
                rebuild_token: None,
            };
            let service_name = tenant.service_name();
            let id = swarm
                .create_service(desired.to_spec().unwrap())
                .await
                .unwrap();
            assert!(!id.is_empty());

            let listed = swarm.list_tenant_services().await.unwrap();
            let ours = listed
                .iter()
                .find(|s| s.id.as_deref() == Some(id.as_str()))
                .expect("the new service is listed by its tenant label");
            let spec = ours.spec.as_ref().unwrap();
            assert_eq!(spec.name.as_deref(), Some(service_name.as_str()));
            assert_eq!(
                spec.labels
                    .as_ref()
                    .unwrap()
                    .get(TENANT_LABEL)
                    .map(String::as_str),
                Some(tenant.as_str())
            );
            assert!(
                listed.iter().all(|s| s
                    .spec
                    .as_ref()
                    .and_then(|spec| spec.labels.as_ref())
                    .is_some_and(|l| l.contains_key(TENANT_LABEL))),
                "only labelled services are listed"
            );

            desired.path_prefix = Some("/blog".into());
            let built = desired.build().unwrap();
            swarm.update_service(built.spec).await.unwrap();
            let updated = swarm.inspect_service(&service_name).await.unwrap().unwrap();
            let labels = updated.spec.unwrap().labels.unwrap();
            assert_eq!(labels[SPEC_HASH_LABEL], built.hash);
            assert_eq!(
                labels["swarmpress.edge.rule"],
                format!("Host(`{tenant}.localhost`) && PathPrefix(`/blog`)")
            );

            assert!(swarm.remove_service(&service_name).await.unwrap());
            assert!(!swarm.remove_service(&service_name).await.unwrap());
            assert!(
                swarm
                    .inspect_service(&service_name)
                    .await
                    .unwrap()
                    .is_none()
            );
        },
        remove_everything(platform.swarm.clone(), tenant),
    )
    .await;
}
