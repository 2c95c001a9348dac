//! Plans, the caller's subscription and usage, plan changes and invoices.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use swarmpress_schema::resource::{Invoice, Plan, Subscription};
use swarmpress_schema::store::StoreError;

use crate::auth::Auth;
use crate::body::JsonBody;
use crate::declared::{CONFLICT, INVALID, Outcome};
use crate::error::{ApiError, ApiResult};
use crate::routes::ApiTags;
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct UsageCount {
    pub used: u64,
    /// `null` means unlimited.
    pub allowed: Option<u64>,
}

#[derive(Debug, Object)]
pub struct Usage {
    /// Sites owned (including those being deleted) against the plan's maximum.
    pub instances: UsageCount,
    /// Replicas across all sites against the most the plan permits in total (its sites
    /// times its per-site replica limit).
    pub replicas: UsageCount,
    /// The plan's limit of replicas per site.
    pub max_replicas_per_instance: u32,
}

#[derive(Debug, Object)]
pub struct SubscriptionView {
    pub subscription: Subscription,
    pub plan: Plan,
    pub usage: Usage,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct UpgradeRequest {
    /// The id of the plan to move to, e.g. `starter`.
    pub plan: String,
}

#[derive(ApiResponse)]
pub enum PlansResponse {
    #[oai(status = 200)]
    Ok(Json<Vec<Plan>>),
}

#[derive(ApiResponse)]
pub enum SubscriptionResponse {
    #[oai(status = 200)]
    Ok(Json<SubscriptionView>),
}

#[derive(ApiResponse)]
pub enum InvoicesResponse {
    #[oai(status = 200)]
    Ok(Json<Vec<Invoice>>),
}

async fn subscription_view(state: &AppState, user: uuid::Uuid) -> ApiResult<SubscriptionView> {
    let (subscription, plan) = state.store.current_subscription(user).await?;
    let tenants = state.store.list_tenants(Some(user), None).await?;
    let instances = u64::try_from(tenants.len()).unwrap_or(u64::MAX);
    let replicas = tenants.iter().map(|t| u64::from(t.spec.replicas)).sum();
    let usage = Usage {
        instances: UsageCount {
            used: instances,
            allowed: plan.max_instances.map(u64::from),
        },
        replicas: UsageCount {
            used: replicas,
            allowed: plan
                .max_instances
                .map(|max| u64::from(max) * u64::from(plan.max_replicas)),
        },
        max_replicas_per_instance: plan.max_replicas,
    };
    Ok(SubscriptionView {
        subscription,
        plan,
        usage,
    })
}

pub struct BillingApi;

#[OpenApi(tag = "ApiTags::Billing")]
impl BillingApi {
    /// The plan catalogue. No authentication.
    #[oai(path = "/plans", method = "get", operation_id = "listPlans")]
    async fn plans(&self, state: Data<&AppState>) -> Outcome<PlansResponse> {
        Ok(PlansResponse::Ok(Json(state.store.list_plans().await?)))
    }

    /// The caller's subscription, plan and usage.
    #[oai(
        path = "/subscription",
        method = "get",
        operation_id = "getSubscription"
    )]
    async fn subscription(
        &self,
        state: Data<&AppState>,
        auth: Auth,
    ) -> Outcome<SubscriptionResponse> {
        let view = subscription_view(&state, auth.principal().id()).await?;
        Ok(SubscriptionResponse::Ok(Json(view)))
    }

    /// Moves the caller to another plan now: the current subscription ends, a new one
    /// starts, and a paid plan's first month is invoiced. A plan smaller than the sites in
    /// use is refused (403 `quota_exceeded`).
    #[oai(
        path = "/subscription/upgrade",
        method = "post",
        operation_id = "changePlan"
    )]
    async fn upgrade(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        body: JsonBody<UpgradeRequest>,
    ) -> Outcome<SubscriptionResponse, { INVALID | CONFLICT }> {
        let user = auth.principal().id();
        let plan = match state.store.get_plan(&body.0.plan).await {
            Ok(plan) => plan,
            Err(StoreError::NotFound) => {
                return Err(ApiError::validation("plan", "no such plan").into());
            }
            Err(error) => return Err(error.into()),
        };
        let tenants = state.store.list_tenants(Some(user), None).await?;
        if let Some(max) = plan.max_instances
            && tenants.len() > usize::try_from(max).unwrap_or(usize::MAX)
        {
            return Err(ApiError::quota_exceeded(format!(
                "the {} plan allows {max} sites and {} are in use; delete some first",
                plan.name,
                tenants.len()
            ))
            .into());
        }
        if let Some((tenant, exceeded)) = tenants
            .iter()
            .find_map(|t| plan.exceeded_by(&t.spec).map(|exceeded| (t, exceeded)))
        {
            return Err(ApiError::quota_exceeded(format!(
                "{} asks more than the new plan allows ({}); scale it down first",
                tenant.metadata.name, exceeded.message
            ))
            .into());
        }
        state.store.change_plan(user, &plan.id).await?;
        tracing::info!(%user, plan = %plan.id, "plan changed");
        let view = subscription_view(&state, user).await?;
        Ok(SubscriptionResponse::Ok(Json(view)))
    }

    /// The caller's invoices, newest first.
    #[oai(path = "/invoices", method = "get", operation_id = "listInvoices")]
    async fn invoices(&self, state: Data<&AppState>, auth: Auth) -> Outcome<InvoicesResponse> {
        let invoices = state.store.list_invoices(auth.principal().id()).await?;
        Ok(InvoicesResponse::Ok(Json(invoices)))
    }
}
