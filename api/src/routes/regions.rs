//! `GET /regions`: the regions the cluster has, with node counts (see [`crate::regions`]).

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::auth::Auth;
use crate::declared::Outcome;
use crate::regions::RegionList;
use crate::routes::ApiTags;
use crate::state::AppState;

#[derive(ApiResponse)]
pub enum RegionsResponse {
    #[oai(status = 200)]
    Ok(Json<RegionList>),
}

pub struct RegionsApi;

#[OpenApi(tag = "ApiTags::Tenants")]
impl RegionsApi {
    /// The regions new sites may be created in (`offered`) and any other region a node
    /// carries, each with its nodes and the active ones (ready, availability `active`): a
    /// site in a region without an active node waits `Pending` until one is there. Counts
    /// are `null` when the engine cannot be asked.
    #[oai(path = "/regions", method = "get", operation_id = "listRegions")]
    async fn regions(&self, state: Data<&AppState>, _auth: Auth) -> Outcome<RegionsResponse> {
        let regions = state
            .regions
            .get(&state.docker, &state.config.regions)
            .await;
        Ok(RegionsResponse::Ok(Json(RegionList {
            items: regions.as_ref().clone(),
        })))
    }
}
