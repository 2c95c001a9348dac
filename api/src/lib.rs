//! The swarmpress HTTP API. It writes desired state only and never touches infrastructure;
//! the controller converges the world to what it stores.
