//! The controller's adapters to the platform: Swarm (secrets, volumes, services), MariaDB
//! (tenant databases and users) and S3 (tenant buckets and the tenants' own S3 identities).
//! Each operation is idempotent, so a step can be repeated after a crash.

pub mod mariadb;
pub mod s3;
pub mod s3_identity;
pub mod sigv4;
pub mod swarm;
