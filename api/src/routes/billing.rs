//! Plans, the caller's subscription and usage, plan changes and invoices.

use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use swarmpress_schema::resource::{AuditAction, Invoice, InvoiceStatus, Plan, Subscription};
use swarmpress_schema::store::StoreError;

use crate::auth::{Auth, Principal};
use crate::body::JsonBody;
use crate::declared::{CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, Outcome};
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
    /// A move to a dearer plan waiting for an administrator (status `pending`).
    pub pending: Option<Subscription>,
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
pub enum ChangePlanResponse {
    /// The plan changed now.
    #[oai(status = 200)]
    Changed(Json<SubscriptionView>),
    /// The change waits for an administrator's approval (`pending` in the body).
    #[oai(status = 202)]
    Requested(Json<SubscriptionView>),
}

/// The WordPress images users may choose for `spec.image`.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct ImageCatalogue {
    /// What a site without `spec.image` runs.
    pub default_image: String,
    /// Every image a user may name: the configured ones and those fleet rollouts completed
    /// with. Administrators may name any image.
    pub images: Vec<String>,
}

#[derive(ApiResponse)]
pub enum ImagesResponse {
    #[oai(status = 200)]
    Ok(Json<ImageCatalogue>),
}

#[derive(ApiResponse)]
pub enum PlanRequestsResponse {
    #[oai(status = 200)]
    Ok(Json<Vec<Subscription>>),
}

#[derive(ApiResponse)]
pub enum PlanRequestResponse {
    #[oai(status = 200)]
    Ok(Json<Subscription>),
}

#[derive(ApiResponse)]
pub enum InvoiceResponse {
    #[oai(status = 200)]
    Ok(Json<Invoice>),
}

#[derive(ApiResponse)]
pub enum InvoicesResponse {
    /// `X-Continue`: more invoices follow; pass it as `continue`.
    #[oai(status = 200)]
    Ok(
        Json<Vec<Invoice>>,
        #[oai(header = "X-Continue")] Option<String>,
    ),
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
    let pending = state.store.pending_plan_request(user).await?;
    Ok(SubscriptionView {
        subscription,
        plan,
        usage,
        pending,
    })
}

/// Refuses (403 `quota_exceeded`) a plan the user's sites do not fit in.
pub(crate) async fn check_fits(state: &AppState, user: uuid::Uuid, plan: &Plan) -> ApiResult<()> {
    let tenants = state.store.list_tenants(Some(user), None).await?;
    if let Some(max) = plan.max_instances
        && tenants.len() > usize::try_from(max).unwrap_or(usize::MAX)
    {
        return Err(ApiError::quota_exceeded(format!(
            "the {} plan allows {} and {} in use; delete some first",
            plan.name,
            crate::words::sites(max),
            match tenants.len() {
                1 => "1 is".to_owned(),
                n => format!("{n} are"),
            }
        )));
    }
    if let Some((tenant, exceeded)) = tenants
        .iter()
        .find_map(|t| plan.exceeded_by(&t.spec).map(|exceeded| (t, exceeded)))
    {
        return Err(ApiError::quota_exceeded(format!(
            "{} asks more than the {} plan allows ({}); scale it down first",
            tenant.metadata.name, plan.name, exceeded.message
        )));
    }
    Ok(())
}

pub struct BillingApi;

#[OpenApi(tag = "ApiTags::Billing")]
impl BillingApi {
    /// The plan catalogue. No authentication.
    #[oai(path = "/plans", method = "get", operation_id = "listPlans")]
    async fn plans(&self, state: Data<&AppState>) -> Outcome<PlansResponse> {
        Ok(PlansResponse::Ok(Json(state.store.list_plans().await?)))
    }

    /// The image catalogue.
    #[oai(path = "/images", method = "get", operation_id = "listImages")]
    async fn images(&self, state: Data<&AppState>, _auth: Auth) -> Outcome<ImagesResponse> {
        let mut images = state.config.images.clone();
        for image in state.store.completed_rollout_images().await? {
            if !images.contains(&image) {
                images.push(image);
            }
        }
        Ok(ImagesResponse::Ok(Json(ImageCatalogue {
            default_image: state.config.default_image.clone(),
            images,
        })))
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

    /// Moves the caller to another plan. A cheaper (or equally priced) plan applies now, if
    /// the sites in use fit it (else 403 `quota_exceeded`); a dearer one is a request that
    /// waits for an administrator (202, `pending` in the body) unless the operator opened
    /// upgrades. A paid plan's first month is invoiced, open until paid.
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
    ) -> Outcome<ChangePlanResponse, { INVALID | CONFLICT }> {
        let user = auth.principal().id();
        let plan = match state.store.get_plan(&body.0.plan).await {
            Ok(plan) => plan,
            Err(StoreError::NotFound) => {
                return Err(ApiError::validation("plan", "no such plan").into());
            }
            Err(error) => return Err(error.into()),
        };
        check_fits(&state, user, &plan).await?;
        let (_, current) = state.store.current_subscription(user).await?;
        let needs_approval = plan.price_cents > current.price_cents
            && !state.config.open_upgrades
            && !auth.principal().is_admin();
        if needs_approval {
            state.store.request_plan(user, &plan.id).await?;
            tracing::info!(%user, plan = %plan.id, "plan change requested");
            let view = subscription_view(&state, user).await?;
            return Ok(ChangePlanResponse::Requested(Json(view)));
        }
        state.store.change_plan(user, &plan.id, None).await?;
        tracing::info!(%user, plan = %plan.id, "plan changed");
        let view = subscription_view(&state, user).await?;
        Ok(ChangePlanResponse::Changed(Json(view)))
    }

    /// Plan changes waiting for a decision, oldest first (admin).
    #[oai(
        path = "/admin/plan-requests",
        method = "get",
        operation_id = "adminListPlanRequests"
    )]
    async fn plan_requests(
        &self,
        state: Data<&AppState>,
        auth: Auth,
    ) -> Outcome<PlanRequestsResponse, { FORBIDDEN }> {
        auth.principal().require_admin()?;
        Ok(PlanRequestsResponse::Ok(Json(
            state.store.list_plan_requests().await?,
        )))
    }

    /// Approves a pending plan change: the user is on the plan from now, with an open
    /// invoice for its first month (admin). 403 `quota_exceeded` if the user's sites no
    /// longer fit it.
    #[oai(
        path = "/admin/plan-requests/:id/approve",
        method = "post",
        operation_id = "adminApprovePlanRequest"
    )]
    async fn approve(
        &self,
        state: Data<&AppState>,
        request: &Request,
        auth: Auth,
        id: Path<uuid::Uuid>,
    ) -> Outcome<PlanRequestResponse, { FORBIDDEN | NOT_FOUND }> {
        auth.principal().require_admin()?;
        let asked = pending_request(&state, id.0).await?;
        let plan = state.store.get_plan(&asked.plan_id).await?;
        check_fits(&state, asked.user_id, &plan).await?;
        let approved = decide(&state, request, auth.principal(), &asked, true).await?;
        tracing::info!(user = %approved.user_id, plan = %approved.plan_id, admin = %auth.principal().id(), "plan change approved");
        Ok(PlanRequestResponse::Ok(Json(approved)))
    }

    /// Refuses a pending plan change (admin).
    #[oai(
        path = "/admin/plan-requests/:id/refuse",
        method = "post",
        operation_id = "adminRefusePlanRequest"
    )]
    async fn refuse(
        &self,
        state: Data<&AppState>,
        request: &Request,
        auth: Auth,
        id: Path<uuid::Uuid>,
    ) -> Outcome<PlanRequestResponse, { FORBIDDEN | NOT_FOUND }> {
        auth.principal().require_admin()?;
        let asked = pending_request(&state, id.0).await?;
        let refused = decide(&state, request, auth.principal(), &asked, false).await?;
        tracing::info!(user = %refused.user_id, plan = %refused.plan_id, admin = %auth.principal().id(), "plan change refused");
        Ok(PlanRequestResponse::Ok(Json(refused)))
    }

    /// The caller's invoices, newest first.
    #[oai(path = "/invoices", method = "get", operation_id = "listInvoices")]
    async fn invoices(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// At most this many invoices (1–500; 500 when absent).
        limit: Query<Option<u32>>,
        /// `X-Continue` of the previous page.
        #[oai(name = "continue")]
        continue_: Query<Option<String>>,
    ) -> Outcome<InvoicesResponse> {
        let page = crate::paging::PageRequest::parse(limit.0, continue_.0.as_deref())?;
        let invoices = state.store.list_invoices(auth.principal().id()).await?;
        let (invoices, next) = page.take(invoices, |i| {
            crate::paging::newest_first_key(i.issued_at, &i.id.to_string())
        });
        Ok(InvoicesResponse::Ok(Json(invoices), next))
    }

    /// Every user's invoices, newest first, a page at a time (admin); `status` keeps only
    /// those open, paid or void. A scheduler issues each paid subscription's invoice every
    /// billing period.
    #[oai(
        path = "/admin/invoices",
        method = "get",
        operation_id = "adminListInvoices"
    )]
    async fn all_invoices(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        status: Query<Option<InvoiceStatus>>,
        /// At most this many invoices (1–500; 500 when absent).
        limit: Query<Option<u32>>,
        /// `X-Continue` of the previous page.
        #[oai(name = "continue")]
        continue_: Query<Option<String>>,
    ) -> Outcome<InvoicesResponse, { FORBIDDEN }> {
        auth.principal().require_admin()?;
        let page = crate::paging::PageRequest::parse(limit.0, continue_.0.as_deref())?;
        let before = page
            .after
            .as_deref()
            .map(crate::paging::cursor)
            .transpose()?;
        let (invoices, more) = state
            .store
            .invoices_page(before, u64::from(page.limit), status.0)
            .await?;
        let next = more
            .then(|| {
                invoices
                    .last()
                    .map(|i| crate::paging::position(i.issued_at, i.id))
            })
            .flatten();
        Ok(InvoicesResponse::Ok(Json(invoices), next))
    }

    /// Marks an open invoice paid (admin; 409 unless it is open). There is no payment
    /// provider: this is where one would confirm a payment. Written to the audit log.
    #[oai(
        path = "/admin/invoices/:id/pay",
        method = "post",
        operation_id = "adminMarkInvoicePaid"
    )]
    async fn mark_paid(
        &self,
        state: Data<&AppState>,
        request: &Request,
        auth: Auth,
        id: Path<uuid::Uuid>,
    ) -> Outcome<InvoiceResponse, { FORBIDDEN | NOT_FOUND | CONFLICT }> {
        let admin = auth.principal();
        admin.require_admin()?;
        let no_invoice = || ApiError::NotFound("no invoice with this id".to_owned());
        let invoice = match state.store.get_invoice(id.0).await {
            Ok(invoice) => invoice,
            Err(StoreError::NotFound) => return Err(no_invoice().into()),
            Err(error) => return Err(error.into()),
        };
        let owner = state.store.get_user(invoice.user_id).await?;
        let audit = crate::audit::on_user(&state, request, admin, AuditAction::InvoicePaid, &owner)
            .with("invoice", invoice.id.to_string())
            .with(
                "amount",
                format!(
                    "{}.{:02} {}",
                    invoice.amount_cents / 100,
                    invoice.amount_cents % 100,
                    invoice.currency
                ),
            );
        let paid = match state.store.mark_invoice_paid(invoice.id, &audit).await {
            Ok(paid) => paid,
            Err(StoreError::NotFound) => return Err(no_invoice().into()),
            Err(StoreError::InvalidTransition { from, .. }) => {
                return Err(ApiError::Conflict(format!("the invoice is {from}, not open")).into());
            }
            Err(error) => return Err(error.into()),
        };
        tracing::info!(invoice = %paid.id, admin = %admin.id(), "invoice marked paid");
        Ok(InvoiceResponse::Ok(Json(paid)))
    }
}

fn no_pending_request() -> ApiError {
    ApiError::NotFound("no pending plan request with this id".to_owned())
}

async fn pending_request(state: &AppState, id: uuid::Uuid) -> ApiResult<Subscription> {
    state
        .store
        .get_plan_request(id)
        .await?
        .ok_or_else(no_pending_request)
}

/// Decides `asked`, recording the decision in the audit log with it.
async fn decide(
    state: &AppState,
    request: &Request,
    admin: &Principal,
    asked: &Subscription,
    approve: bool,
) -> ApiResult<Subscription> {
    let user = state.store.get_user(asked.user_id).await?;
    let action = if approve {
        AuditAction::PlanRequestApproved
    } else {
        AuditAction::PlanRequestRefused
    };
    let audit = crate::audit::on_user(state, request, admin, action, &user)
        .with("plan", asked.plan_id.clone());
    match state
        .store
        .decide_plan_request(asked.id, approve, Some(&audit))
        .await
    {
        Ok(decided) => Ok(decided),
        Err(StoreError::NotFound) => Err(no_pending_request()),
        Err(error) => Err(error.into()),
    }
}
