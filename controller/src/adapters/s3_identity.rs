//! Each tenant's own S3 identity: an IAM user named like its bucket, allowed that bucket and
//! nothing else, with one access key that the tenant's service mounts as a secret.
//!
//! SeaweedFS serves the IAM query API on the S3 port (`-s3.iam.readOnly=false`), answering
//! only identities with the `Admin` action — the platform's key; a tenant's key gets an error.
//! Users, keys and policies are kept in the filer (the S3 volume) and survive restarts.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use secrecy::{ExposeSecret as _, SecretString};
use swarmpress_schema::TenantName;
use tokio::time::Instant;

use super::s3::S3Config;
use super::sigv4::{SignedRequest, Signer, amz_date};

/// One IAM request may take this long; the work queue retries a failed reconcile.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a key seen in place counts: within it, a reconcile whose secret names that key
/// asks S3 nothing. Keys are only ever removed by the controller itself (which forgets them
/// here when it does) or by an administrator by hand, which the next check an hour later sees.
pub const KEY_CHECK_TTL: Duration = Duration::from_secs(3600);
/// The policy each tenant user holds: everything on objects of its own bucket and listing
/// it; no bucket creation or deletion, no other bucket.
const POLICY_NAME: &str = "own-bucket";
const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

#[derive(Debug, Clone, thiserror::Error)]
pub enum IdentityError {
    #[error("S3 identity client configuration: {0}")]
    Config(String),
    #[error("S3 IAM {action} for {user}: {message}")]
    Call {
        action: &'static str,
        user: String,
        message: String,
    },
}

/// A tenant's access key as created: the id (not secret) and the secret key (shown once).
pub struct AccessKey {
    pub id: String,
    pub secret: SecretString,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &self.secret)
            .finish()
    }
}

/// What the secret mounted in the tenant's task holds: the key id on the first line, the
/// secret key on the second (the image reads both lines).
pub fn credentials_file(key: &AccessKey) -> String {
    format!("{}\n{}\n", key.id, key.secret.expose_secret())
}

/// Manages tenant IAM users over the platform's admin key. Cheap to clone; clones share the
/// HTTP client and the record of keys seen in place.
#[derive(Clone)]
pub struct TenantIdentities {
    config: S3Config,
    http: reqwest::Client,
    /// Key ids seen active for their user, and when.
    checked: Arc<Mutex<HashMap<String, (String, Instant)>>>,
}

impl fmt::Debug for TenantIdentities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantIdentities")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The text of the first `<tag>` in `xml` (IAM answers are small and flat).
fn first_tag<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    all_tags(xml, tag).next()
}

fn all_tags<'a>(xml: &'a str, tag: &str) -> impl Iterator<Item = &'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(open.as_str())
        .skip(1)
        .filter_map(|rest| rest.split_once(close.as_str()).map(|(text, _)| text.trim()))
        .collect::<Vec<_>>()
        .into_iter()
}

/// The policy document of a `GetUserPolicy` answer: XML-escaped in the answer (SeaweedFS
/// writes numeric entities), and URL-encoded as well where the server follows AWS.
fn policy_document(body: &str) -> String {
    let escaped = first_tag(body, "PolicyDocument").unwrap_or_default();
    let text = xml_unescape(escaped);
    if text.starts_with('%') {
        percent_decode(&text)
    } else {
        text
    }
}

/// XML's five named entities and numeric ones (`&#34;`, `&#x22;`).
fn xml_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let decoded = after.split_once(';').and_then(|(entity, tail)| {
            let c = match entity {
                "quot" => Some('"'),
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, tail))
        });
        match decoded {
            Some((c, tail)) => {
                out.push(c);
                rest = tail;
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The policy document allowing `bucket` and its objects alone. (SeaweedFS refuses the
/// whole document for actions it does not know, such as `s3:ListMultipartUploadParts`;
/// multipart uploads are covered by `s3:PutObject`.)
fn bucket_policy(bucket: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": [
                "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
                "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:DeleteObjectTagging",
                "s3:AbortMultipartUpload"
            ],
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]
        }]
    })
    .to_string()
}

impl TenantIdentities {
    pub fn new(config: S3Config) -> Result<Self, IdentityError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|error| IdentityError::Config(error.to_string()))?;
        Ok(Self {
            config,
            http,
            checked: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// The IAM user of a tenant: named like its bucket.
    pub fn user_name(tenant: &TenantName) -> String {
        tenant.bucket_name()
    }

    /// One IAM call: a signed form post to the S3 port. The answer's body on success; the
    /// error code and message otherwise (`Err(Ok(code))` for an IAM error answer, so callers
    /// can accept `EntityAlreadyExists` or `NoSuchEntity`).
    async fn call(
        &self,
        action: &'static str,
        user: &str,
        params: &[(&str, &str)],
    ) -> Result<Result<String, String>, IdentityError> {
        let failed = |message: String| IdentityError::Call {
            action,
            user: user.to_owned(),
            message,
        };
        let mut form: Vec<(&str, &str)> = vec![("Action", action), ("Version", "2010-05-08")];
        form.extend_from_slice(params);
        let endpoint = format!("{}/", self.config.endpoint.trim_end_matches('/'));
        let mut request = self
            .http
            .post(&endpoint)
            .form(&form)
            .build()
            .map_err(|error| failed(error.to_string()))?;
        let url = request.url();
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(failed(format!("no host in {endpoint}"))),
        };
        let body = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .unwrap_or_default()
            .to_vec();
        let at = Utc::now();
        let date = amz_date(at);
        let signer = Signer {
            access_key: &self.config.access_key,
            secret_key: self.config.secret_key.expose_secret(),
            region: &self.config.region,
            service: "iam",
        };
        let authorization = signer.authorization(
            &SignedRequest {
                method: "POST",
                path: "/",
                query: "",
                headers: &[
                    ("content-type", FORM_CONTENT_TYPE),
                    ("host", &host),
                    ("x-amz-date", &date),
                ],
                body: &body,
            },
            at,
        );
        let headers = request.headers_mut();
        for (name, value) in [
            ("content-type", FORM_CONTENT_TYPE),
            ("x-amz-date", date.as_str()),
            ("authorization", authorization.as_str()),
        ] {
            let value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|error| failed(error.to_string()))?;
            headers.insert(name, value);
        }
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|error| failed(error.to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|error| failed(error.to_string()))?;
        if status.is_success() {
            return Ok(Ok(text));
        }
        match first_tag(&text, "Code") {
            Some(code) => Ok(Err(code.to_owned())),
            None => Err(failed(format!("HTTP {status}: {text}"))),
        }
    }

    /// `call`, where any IAM error but `accepted` (`None` for the answer to it) is a failure.
    async fn call_accepting(
        &self,
        action: &'static str,
        user: &str,
        params: &[(&str, &str)],
        accepted: Option<&str>,
    ) -> Result<Option<String>, IdentityError> {
        match self.call(action, user, params).await? {
            Ok(body) => Ok(Some(body)),
            Err(code) if accepted == Some(code.as_str()) => Ok(None),
            Err(code) => Err(IdentityError::Call {
                action,
                user: user.to_owned(),
                message: code,
            }),
        }
    }

    fn seen_within_ttl(&self, user: &str, key_id: &str) -> bool {
        self.checked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user)
            .is_some_and(|(id, at)| id == key_id && at.elapsed() < KEY_CHECK_TTL)
    }

    fn set_seen(&self, user: &str, key_id: Option<&str>) {
        let mut checked = self.checked.lock().unwrap_or_else(PoisonError::into_inner);
        match key_id {
            Some(id) => {
                checked.insert(user.to_owned(), (id.to_owned(), Instant::now()));
            }
            None => {
                checked.remove(user);
            }
        }
    }

    /// The access key ids the tenant's user has; empty when there is no user.
    pub async fn key_ids(&self, tenant: &TenantName) -> Result<HashSet<String>, IdentityError> {
        let user = Self::user_name(tenant);
        let listed = self
            .call_accepting(
                "ListAccessKeys",
                &user,
                &[("UserName", &user)],
                Some("NoSuchEntity"),
            )
            .await?;
        Ok(listed
            .map(|body| all_tags(&body, "AccessKeyId").map(str::to_owned).collect())
            .unwrap_or_default())
    }

    /// Whether `key_id` is the tenant's user's key and the user holds its bucket policy —
    /// the steady state, answered without a request within [`KEY_CHECK_TTL`] of the last
    /// check. Any other key of the user is removed: only the one the service mounts works.
    pub async fn is_current(
        &self,
        tenant: &TenantName,
        key_id: &str,
    ) -> Result<bool, IdentityError> {
        let user = Self::user_name(tenant);
        if self.seen_within_ttl(&user, key_id) {
            return Ok(true);
        }
        let keys = self.key_ids(tenant).await?;
        if !keys.contains(key_id) {
            self.set_seen(&user, None);
            return Ok(false);
        }
        self.put_policy(tenant).await?;
        self.remove_keys_but(tenant, &keys, key_id).await?;
        self.set_seen(&user, Some(key_id));
        Ok(true)
    }

    async fn put_policy(&self, tenant: &TenantName) -> Result<(), IdentityError> {
        let user = Self::user_name(tenant);
        let policy = bucket_policy(&tenant.bucket_name());
        self.call_accepting(
            "PutUserPolicy",
            &user,
            &[
                ("UserName", &user),
                ("PolicyName", POLICY_NAME),
                ("PolicyDocument", &policy),
            ],
            None,
        )
        .await?;
        Ok(())
    }

    async fn remove_keys_but(
        &self,
        tenant: &TenantName,
        keys: &HashSet<String>,
        keep: &str,
    ) -> Result<(), IdentityError> {
        let user = Self::user_name(tenant);
        for stale in keys.iter().filter(|id| id.as_str() != keep) {
            self.call_accepting(
                "DeleteAccessKey",
                &user,
                &[("UserName", &user), ("AccessKeyId", stale)],
                Some("NoSuchEntity"),
            )
            .await?;
        }
        Ok(())
    }

    /// Makes the tenant's user exist (`true` when this call made it), with no policy or key of
    /// its own. Safe to repeat.
    pub async fn create_user(&self, tenant: &TenantName) -> Result<bool, IdentityError> {
        let user = Self::user_name(tenant);
        let created = self
            .call_accepting(
                "CreateUser",
                &user,
                &[("UserName", &user)],
                Some("EntityAlreadyExists"),
            )
            .await?;
        Ok(created.is_some())
    }

    /// Makes the tenant's user exist with its bucket policy and gives it a new access key,
    /// removing any other: a key's secret cannot be read back, so a tenant whose secret is
    /// lost gets a new key. Safe to repeat.
    pub async fn issue_key(&self, tenant: &TenantName) -> Result<AccessKey, IdentityError> {
        let user = Self::user_name(tenant);
        let new_user = self.create_user(tenant).await?;
        self.put_policy(tenant).await?;
        let body = self
            .call_accepting("CreateAccessKey", &user, &[("UserName", &user)], None)
            .await?
            .unwrap_or_default();
        let (Some(id), Some(secret)) = (
            first_tag(&body, "AccessKeyId"),
            first_tag(&body, "SecretAccessKey"),
        ) else {
            return Err(IdentityError::Call {
                action: "CreateAccessKey",
                user,
                message: "the answer names no key".to_owned(),
            });
        };
        let key = AccessKey {
            id: id.to_owned(),
            secret: SecretString::from(secret.to_owned()),
        };
        // A user this call made has no other key. Each IAM call, reads included, takes
        // SeaweedFS's one lock and loads every identity: in a burst of new sites, one call
        // fewer per site is a quarter less of that.
        if !new_user {
            let keys = self.key_ids(tenant).await?;
            self.remove_keys_but(tenant, &keys, &key.id).await?;
        }
        self.set_seen(&user, Some(&key.id));
        Ok(key)
    }

    /// Removes the tenant's user with its keys and policy. `false` when there was none.
    pub async fn delete(&self, tenant: &TenantName) -> Result<bool, IdentityError> {
        let user = Self::user_name(tenant);
        self.set_seen(&user, None);
        // SeaweedFS keeps a user's inline policy apart from the user and DeleteUser leaves it
        // behind: every site ever deleted would stay in the policy file that each later IAM
        // write reads, parses and rewrites whole.
        self.call_accepting(
            "DeleteUserPolicy",
            &user,
            &[("UserName", &user), ("PolicyName", POLICY_NAME)],
            Some("NoSuchEntity"),
        )
        .await?;
        let deleted = self
            .call_accepting(
                "DeleteUser",
                &user,
                &[("UserName", &user)],
                Some("NoSuchEntity"),
            )
            .await?;
        Ok(deleted.is_some())
    }

    /// The tenant's inline bucket policy document (JSON) as SeaweedFS keeps it; `None` when
    /// it keeps none.
    pub async fn inline_policy(
        &self,
        tenant: &TenantName,
    ) -> Result<Option<String>, IdentityError> {
        let user = Self::user_name(tenant);
        let answer = self
            .call_accepting(
                "GetUserPolicy",
                &user,
                &[("UserName", &user), ("PolicyName", POLICY_NAME)],
                Some("NoSuchEntity"),
            )
            .await?;
        Ok(answer.map(|body| policy_document(&body)))
    }

    /// Names of every tenant-like user (`wp-*`), for orphan collection.
    pub async fn list_tenant_users(&self) -> Result<Vec<String>, IdentityError> {
        let body = self
            .call_accepting("ListUsers", "*", &[], None)
            .await?
            .unwrap_or_default();
        Ok(all_tags(&body, "UserName")
            .filter(|name| name.starts_with(super::s3::TENANT_BUCKET_PREFIX))
            .map(str::to_owned)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_key_ids_and_codes_from_iam_answers() {
        let listed = "<ListAccessKeysResponse><ListAccessKeysResult><AccessKeyMetadata>\
            <member><AccessKeyId>AKIA1</AccessKeyId><Status>Active</Status></member>\
            <member><AccessKeyId>AKIA2</AccessKeyId></member>\
            </AccessKeyMetadata></ListAccessKeysResult></ListAccessKeysResponse>";
        assert_eq!(
            all_tags(listed, "AccessKeyId").collect::<Vec<_>>(),
            ["AKIA1", "AKIA2"]
        );
        let error = "<ErrorResponse><Error><Code>NoSuchEntity</Code></Error></ErrorResponse>";
        assert_eq!(first_tag(error, "Code"), Some("NoSuchEntity"));
        assert_eq!(first_tag(error, "Message"), None);
    }

    #[test]
    fn reads_the_policy_document_escaped_either_way() {
        let seaweed = "<GetUserPolicyResult><PolicyDocument>{&#34;Resource&#34;:\
            [&#34;arn:aws:s3:::wp-a/*&#34;],&quot;x&quot;:&#x22;&lt;&amp;&gt;&#x22;}\
            </PolicyDocument></GetUserPolicyResult>";
        assert_eq!(
            policy_document(seaweed),
            r#"{"Resource":["arn:aws:s3:::wp-a/*"],"x":"<&>"}"#
        );
        let aws = "<PolicyDocument>%7B%22Resource%22%3A%22%2A%22%7D</PolicyDocument>";
        assert_eq!(policy_document(aws), r#"{"Resource":"*"}"#);
        assert_eq!(xml_unescape("a & b &bogus; &#xZZ;"), "a & b &bogus; &#xZZ;");
    }

    #[test]
    fn the_policy_names_the_bucket_and_its_objects_only() {
        let policy: serde_json::Value = serde_json::from_str(&bucket_policy("wp-acme")).unwrap();
        assert_eq!(
            policy["Statement"][0]["Resource"],
            serde_json::json!(["arn:aws:s3:::wp-acme", "arn:aws:s3:::wp-acme/*"])
        );
        let actions = policy["Statement"][0]["Action"].as_array().unwrap();
        assert!(
            actions
                .iter()
                .all(|action| !action.as_str().unwrap().contains("Bucket\"")
                    && action != "s3:CreateBucket"
                    && action != "s3:DeleteBucket")
        );
    }
}
