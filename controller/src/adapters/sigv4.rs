//! AWS Signature Version 4 for the few IAM calls the controller makes (SeaweedFS serves the
//! IAM query API on its S3 port). S3 requests are signed by `rust-s3` and `object_store`;
//! neither exposes a signer for another service (rust-s3's scope is fixed to `s3`), and the
//! AWS SDK's would bring a second HTTP stack for five form posts. The algorithm is short and
//! checked below against AWS's own published example.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};

use crate::digest::hex;

type HmacSha256 = Hmac<Sha256>;

/// What one signature covers: a request with a body, the signed headers already lowercased
/// and sorted by name, `host` among them.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path, already URI-encoded (`/` for IAM).
    pub path: &'a str,
    /// The canonical query string (empty for a form post).
    pub query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// Who signs, where, and for which service.
pub struct Signer<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
    pub service: &'a str,
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// `x-amz-date`'s format.
pub fn amz_date(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

pub fn payload_hash(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

impl Signer<'_> {
    /// The `Authorization` header for `request` made at `at` (whose `x-amz-date` header must
    /// be among the signed ones).
    pub fn authorization(&self, request: &SignedRequest<'_>, at: DateTime<Utc>) -> String {
        let date = at.format("%Y%m%d").to_string();
        let scope = format!("{date}/{}/{}/aws4_request", self.region, self.service);
        let canonical_headers: String = request
            .headers
            .iter()
            .map(|(name, value)| format!("{name}:{}\n", value.trim()))
            .collect();
        let signed_headers = request
            .headers
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(";");
        let canonical_request = format!(
            "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
            request.method,
            request.path,
            request.query,
            payload_hash(request.body)
        );
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
            amz_date(at),
            hex(&Sha256::digest(canonical_request.as_bytes()))
        );
        let key = [self.region, self.service, "aws4_request"].iter().fold(
            hmac(format!("AWS4{}", self.secret_key).as_bytes(), &date),
            |key, part| hmac(&key, part),
        );
        let signature = hex(&hmac(&key, &string_to_sign));
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            self.access_key
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    /// AWS's worked example for Signature Version 4 (the IAM `ListUsers` GET of the
    /// "Examples of the complete Signature Version 4 signing process" page, with its example
    /// credentials): the signature must come out as published.
    #[test]
    fn signs_the_published_example() {
        let at = Utc.with_ymd_and_hms(2015, 8, 30, 12, 36, 0).unwrap();
        let signer = Signer {
            access_key: "AKIDEXAMPLE",
            secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
            service: "iam",
        };
        let request = SignedRequest {
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: &[
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("host", "iam.amazonaws.com"),
                ("x-amz-date", "20150830T123600Z"),
            ],
            body: b"",
        };
        assert_eq!(
            signer.authorization(&request, at),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }
}
