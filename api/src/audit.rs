//! Audit entries for administrators' actions, with the client address the request came from
//! (by the same trusted-proxy rule as the login throttle: a client cannot choose it).

use poem::Request;
use swarmpress_schema::resource::{AuditAction, User};
use swarmpress_schema::store::NewAuditEntry;

use crate::auth::Principal;
use crate::auth::cookies::client_address;
use crate::state::AppState;

/// `action` by the caller on the account `target`.
pub fn on_user(
    state: &AppState,
    request: &Request,
    principal: &Principal,
    action: AuditAction,
    target: &User,
) -> NewAuditEntry {
    let source = client_address(request, &state.config).map(|address| address.to_string());
    NewAuditEntry::on_user(&principal.user, action, target, source)
}
