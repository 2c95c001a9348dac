//! The API's domain rules, apart from HTTP: what may be written, for whom, within which
//! limits. Handlers and `/apply` both call them; each maps the domain's errors to its own
//! answer (problem+json for a handler, a document's field errors for `/apply`).

pub mod rollouts;
pub mod tenants;
