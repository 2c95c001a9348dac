//! Start-up work beyond migrations: the first administrator.

use secrecy::ExposeSecret;
use swarmpress_schema::parsed::EmailAddress;
use swarmpress_schema::resource::Role;
use swarmpress_schema::store::{NewUser, StoreError};

use crate::error::ApiError;
use crate::passwords::check_new_password;
use crate::state::AppState;

/// Creates the configured admin when no admin exists yet. Later starts leave accounts alone,
/// so changing the configured password does not reset a password the admin has changed.
pub async fn ensure_admin(state: &AppState) -> Result<(), ApiError> {
    let Some(admin) = &state.config.admin else {
        return Ok(());
    };
    if state.store.any_admin_exists().await? {
        return Ok(());
    }
    let Ok(email) = EmailAddress::parse(&admin.email) else {
        return Err(ApiError::internal(
            "SWARMPRESS_ADMIN_EMAIL is not a valid e-mail address",
        ));
    };
    if let Err(message) = check_new_password(admin.password.expose_secret()) {
        return Err(ApiError::internal(format!("the admin password {message}")));
    }
    let password_hash = state.passwords.hash(&admin.password).await?;
    match state
        .store
        .create_user(NewUser {
            email: email.to_string(),
            name: "Administrator".to_owned(),
            password_hash,
            role: Role::Admin,
        })
        .await
    {
        Ok(user) => {
            tracing::info!(user = %user.id, %email, "created the first administrator");
            Ok(())
        }
        // Another API replica created it at the same moment, or a user registered with this
        // address: either way there is nothing to create, and it is logged for the operator.
        Err(StoreError::AlreadyExists) => {
            tracing::warn!(%email, "the configured admin e-mail already has an account");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}
