//! The tenant boundary, tried the way an attacker would: from inside a real site's container
//! (`docker exec` as www-data, the user a plugin's code runs as), every endpoint of the
//! platform that is not the site's own is refused or never answers, while the site's own
//! database and bucket (with its own key) still work and another site's database and bucket
//! refuse it. From the host, MariaDB, S3,
//! Prometheus and the image registry answer on the loopback only.
// A test crate: its helpers fail the test the same way its assertions do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::Duration;

use swarmpress_e2e::{Api, Platform, ScratchTenant, html_title};

const SITE_TIMEOUT: Duration = Duration::from_secs(180);
const POLL: Duration = Duration::from_millis(250);

fn docker(args: &[&str]) -> String {
    let output = Command::new("docker").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A running container of a platform service.
fn platform_container(service: &str) -> String {
    let filter = format!("label=com.docker.swarm.service.name=swarmpress_{service}");
    let ids = docker(&["ps", "-q", "--filter", &filter]);
    ids.lines()
        .next()
        .unwrap_or_else(|| panic!("no running container of {service}"))
        .to_owned()
}

/// The addresses a container has on each of its networks.
fn addresses(container: &str) -> Vec<String> {
    let format = "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}";
    docker(&["inspect", "-f", format, container])
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Runs `script` with bash in `container` as `user`; its standard output.
fn exec(container: &str, user: &str, script: &str) -> String {
    docker(&["exec", "-u", user, container, "bash", "-c", script])
}

/// Tries every `(label, host, port)` at once from inside `container` (each bounded to 3 s)
/// and returns the labels of those that accepted a TCP connection.
fn open_from(container: &str, targets: &[(String, String, u16)]) -> Vec<String> {
    let mut script = String::new();
    for (label, host, port) in targets {
        script.push_str(&format!(
            "(timeout 3 bash -c 'exec 3<>/dev/tcp/{host}/{port}' 2>/dev/null && echo '{label}') &\n"
        ));
    }
    script.push_str("wait\n");
    exec(container, "www-data", &script)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn target(label: &str, host: &str, port: u16) -> (String, String, u16) {
    (label.to_owned(), host.to_owned(), port)
}

/// Every internal endpoint of the platform, by service name and by each address the
/// service's container has (an attacker scans addresses, not only names).
fn internal_endpoints() -> Vec<(String, String, u16)> {
    let mut targets = vec![
        target("seaweedfs master", "s3", 9333),
        target("seaweedfs filer", "s3", 8888),
        target("seaweedfs volume server", "s3", 8080),
        target("seaweedfs s3 grpc", "s3", 18333),
        target("seaweedfs s3 grpc (internal port)", "s3", 18334),
        target("seaweedfs s3 gateway (internal port)", "s3", 8334),
        target("prometheus", "prometheus", 9090),
        target("image registry", "registry", 5000),
        target("api", "api", 8000),
        target("controller metrics", "controller", 9100),
        target("traefik ping and metrics", "traefik", 8081),
    ];
    for (service, ports) in [
        ("api", &[8000][..]),
        ("controller", &[9100]),
        ("prometheus", &[9090]),
        ("registry", &[5000]),
        ("traefik", &[8081]),
        ("s3", &[9333, 8888, 8080, 18334]),
    ] {
        for address in addresses(&platform_container(service)) {
            for port in ports {
                targets.push(target(
                    &format!("{service} at {address}:{port}"),
                    &address,
                    *port,
                ));
            }
        }
    }
    // The Docker host, through the bridge every overlay container leaves by, and at each of
    // its own addresses: the swarm's management and gossip ports, the edge's host port,
    // anything else listening there.
    let gateway = docker(&[
        "network",
        "inspect",
        "docker_gwbridge",
        "-f",
        "{{(index .IPAM.Config 0).Gateway}}",
    ]);
    let host_addresses =
        String::from_utf8(Command::new("hostname").arg("-I").output().unwrap().stdout).unwrap();
    for address in std::iter::once(gateway.as_str()).chain(host_addresses.split_whitespace()) {
        for port in [22, 2375, 2377, 5000, 7946, 3306, 8333, 9090, 8080] {
            targets.push(target(
                &format!("docker host at {address}:{port}"),
                address,
                port,
            ));
        }
    }
    targets
}

/// PHP, as a plugin would run it: the site's own database with the credentials WordPress
/// has, then another site's database with the same connection.
fn database_probe(other_database: &str) -> String {
    format!(
        r#"php -r '
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$password = trim(file_get_contents(getenv("WORDPRESS_DB_PASSWORD_FILE")));
$db = new mysqli(getenv("WORDPRESS_DB_HOST"), getenv("WORDPRESS_DB_USER"), $password, getenv("WORDPRESS_DB_NAME"));
$options = $db->query("SELECT COUNT(*) FROM wp_options")->fetch_row()[0];
echo $options > 0 ? "own:ok\n" : "own:empty\n";
$visible = [];
foreach ($db->query("SHOW DATABASES")->fetch_all() as $row) {{ $visible[] = $row[0]; }}
echo "visible:" . implode(",", $visible) . "\n";
try {{ $db->select_db("{other_database}"); echo "other:open\n"; }}
catch (Throwable $e) {{ echo "other:refused\n"; }}
'"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_reaches_only_its_own_services() {
    let Some(platform) = Platform::connect_or_skip().await else {
        return;
    };
    let api = Api::user(platform.config.edge_addr, "jail", "starter")
        .await
        .unwrap();
    let (attacker, victim) = tokio::join!(
        ScratchTenant::create(&platform, &api, "jail", |_| {}),
        ScratchTenant::create(&platform, &api, "jailv", |_| {}),
    );
    let (attacker, victim) = (attacker.unwrap(), victim.unwrap());
    for tenant in [&attacker, &victim] {
        let client = tenant.http_client().unwrap();
        let title = tenant.title().to_owned();
        tenant
            .wait_for_page(&client, "/", POLL, SITE_TIMEOUT, |body| {
                html_title(body).is_some_and(|t| t.contains(&title))
            })
            .await
            .unwrap();
    }
    let container = platform.running_containers(attacker.name()).await.unwrap()[0].clone();

    // On a contended CPU a site yields to the platform: its container weighs less than any
    // platform service's, which keep the engine's default (0 read back: 1024). The leader
    // sets it when the container's start event arrives: waited for, not assumed.
    let shares = |container: &str| -> i64 {
        docker(&["inspect", "-f", "{{.HostConfig.CpuShares}}", container])
            .parse()
            .unwrap()
    };
    let weighed_by = std::time::Instant::now() + Duration::from_secs(20);
    let mut site_shares = shares(&container);
    while site_shares == 0 && std::time::Instant::now() < weighed_by {
        tokio::time::sleep(Duration::from_millis(100)).await;
        site_shares = shares(&container);
    }
    assert!(
        (1..=512).contains(&site_shares),
        "a site's CPU weight is below the platform's: {site_shares}"
    );
    assert_eq!(
        shares(&platform_container("traefik")),
        0,
        "the edge keeps its weight"
    );

    // What a site needs stays open: the edge, MariaDB's port, the S3 gateway.
    let needed = vec![
        target("edge", "traefik", 80),
        target("mariadb", "mariadb", 3306),
        target("s3 gateway", "s3", 8333),
    ];
    let mut open = open_from(&container, &needed);
    open.sort();
    assert_eq!(open, ["edge", "mariadb", "s3 gateway"], "needed endpoints");

    // Nothing else of the platform, by name or by address.
    let internal = internal_endpoints();
    assert!(internal.len() > 20, "{internal:?}");
    let open = open_from(&container, &internal);
    assert!(
        open.is_empty(),
        "reachable from a tenant container: {open:?}"
    );

    // The S3 gateway checks keys: no bucket is listed or read without them.
    let anonymous = exec(
        &container,
        "www-data",
        &format!(
            "for path in / /{bucket}/ /{victim_bucket}/; do \
             curl -s -o /dev/null -w '%{{http_code}} ' --max-time 5 http://s3:8333$path; done",
            bucket = attacker.name().bucket_name(),
            victim_bucket = victim.name().bucket_name(),
        ),
    );
    assert_eq!(anonymous.trim(), "403 403 403", "anonymous S3 requests");

    // With the site's own key (the file WordPress reads, readable by its code): its own
    // bucket takes a write, a read, a listing and a delete; the other site's bucket refuses
    // every one of them, and so does creating a bucket or calling the IAM API for a key.
    let keyed = exec(
        &container,
        "www-data",
        &format!(
            r#"set -u
key=$(sed -n 1p "$WORDPRESS_S3_CREDENTIALS_FILE"); secret=$(sed -n 2p "$WORDPRESS_S3_CREDENTIALS_FILE")
s3() {{ curl -s -o /dev/null -w "%{{http_code}} " --max-time 5 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$key:$secret" "$@"; }}
# curl 7.88 signs no payload hash of its own; S3 wants one.
put() {{ s3 -X PUT --data-binary "$1" -H "x-amz-content-sha256: $(printf %s "$1" | sha256sum | cut -d' ' -f1)" "$2"; }}
own="$WORDPRESS_S3_ENDPOINT/$WORDPRESS_S3_BUCKET"; other="$WORDPRESS_S3_ENDPOINT/{victim_bucket}"
echo -n "own: "; put jpeg "$own/uploads/a.jpg"; s3 "$own/uploads/a.jpg"; s3 "$own/?list-type=2"; s3 -X DELETE "$own/uploads/a.jpg"; echo
echo -n "other: "; put x "$other/uploads/a.jpg"; s3 "$other/?list-type=2"; s3 -X DELETE "$other/uploads/a.jpg"; s3 -X DELETE "$other"; echo
echo -n "admin: "; put "" "$WORDPRESS_S3_ENDPOINT/wp-stolen-bucket"; curl -s -o /dev/null -w "%{{http_code}}" --max-time 5 --aws-sigv4 "aws:amz:us-east-1:iam" --user "$key:$secret" --data "Action=CreateAccessKey&UserName={victim_bucket}&Version=2010-05-08" "$WORDPRESS_S3_ENDPOINT/"; echo
"#,
            victim_bucket = victim.name().bucket_name(),
        ),
    );
    let line = |label: &str| -> Vec<String> {
        keyed
            .lines()
            .find_map(|line| line.strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label} line in {keyed}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(line("own: "), ["200", "200", "200", "204"], "{keyed}");
    let other = line("other: ");
    assert!(other.iter().all(|code| code == "403"), "{keyed}");
    let admin = line("admin: ");
    assert!(
        admin
            .iter()
            .all(|code| code.starts_with('4') || code.starts_with('5'))
            && admin[0] == "403",
        "{keyed}"
    );

    // The site's own database works; another site's is refused and not even listed.
    let report = exec(
        &container,
        "www-data",
        &database_probe(&victim.name().database_name()),
    );
    assert!(report.contains("own:ok"), "{report}");
    assert!(report.contains("other:refused"), "{report}");
    let visible = report
        .lines()
        .find_map(|line| line.strip_prefix("visible:"))
        .unwrap();
    let mut visible: Vec<_> = visible.split(',').collect();
    visible.sort_unstable();
    assert_eq!(
        visible,
        [
            "information_schema",
            attacker.name().database_name().as_str()
        ]
    );

    // No process of the site (PID 1 and its descendants, the liveness watch among them;
    // `docker exec` processes such as this probe are not the site's) is root, holds a
    // capability or could get one back (empty bounding set); and there is no setuid binary to
    // try.
    let listing = exec(
        &container,
        "www-data",
        "for status in /proc/[0-9]*/status; do \
           awk '/^(Name|Pid|PPid|Uid|CapEff|CapBnd):/ {printf \"%s \", $2} END {print \"\"}' \"$status\" 2>/dev/null; \
         done",
    );
    let processes: Vec<Vec<&str>> = listing
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .filter(|fields| fields.len() == 6)
        .collect();
    let mut site = std::collections::HashSet::from(["1"]);
    // Parents come before children often but not always: repeat until nothing is added.
    loop {
        let before = site.len();
        for fields in &processes {
            if site.contains(fields[2]) {
                site.insert(fields[1]);
            }
        }
        if site.len() == before {
            break;
        }
    }
    let site: Vec<&Vec<&str>> = processes.iter().filter(|f| site.contains(f[1])).collect();
    assert!(site.len() >= 3, "the site's processes: {listing}");
    for fields in site {
        let (name, uid, effective, bounding) = (fields[0], fields[3], fields[4], fields[5]);
        assert_eq!(uid, "33", "{name} runs as uid {uid}: {listing}");
        assert_eq!(effective, "0000000000000000", "{name} has capabilities");
        assert_eq!(
            bounding, "0000000000000000",
            "{name} could regain capabilities"
        );
    }
    let setuid = exec(
        &container,
        "www-data",
        "find / -xdev -type f -perm /6000 2>/dev/null || true",
    );
    assert_eq!(setuid, "", "setuid or setgid binaries in the image");

    // The engine runs no probe in the site's container (an exec would run as the
    // container's user, root, against the tenant's own Apache): readiness is asked through
    // the edge and liveness is watched by serve.sh, a descendant of PID 1 checked above.
    let inspected = docker(&[
        "inspect",
        "--format",
        "{{json .Config.Healthcheck.Test}}",
        &container,
    ]);
    let probe: Vec<String> = serde_json::from_str(inspected.trim()).unwrap();
    assert_eq!(probe, ["NONE"], "no engine health check: {probe:?}");

    // MariaDB's root, even with its password, is not an account on the data network.
    let root_password = swarmpress_testkit::root_password().unwrap();
    let root = docker(&[
        "exec",
        "-u",
        "www-data",
        "-e",
        &format!("ROOT_PASSWORD={root_password}"),
        &container,
        "php",
        "-r",
        "mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT); \
         try { new mysqli('mariadb', 'root', getenv('ROOT_PASSWORD')); echo 'root:open'; } \
         catch (Throwable $e) { echo 'root:refused ' . $e->getMessage(); }",
    ]);
    assert!(root.starts_with("root:refused"), "{root}");

    attacker.cleanup().await.unwrap();
    victim.cleanup().await.unwrap();
}

/// MariaDB, S3, Prometheus and the image registry publish nothing beyond the host's
/// loopback: at every other address of the host the port is closed, while 127.0.0.1 answers.
#[tokio::test]
async fn stateful_services_answer_on_the_loopback_only() {
    if Platform::connect_or_skip().await.is_none() {
        return;
    }
    let host_addresses =
        String::from_utf8(Command::new("hostname").arg("-I").output().unwrap().stdout).unwrap();
    let gateway = docker(&[
        "network",
        "inspect",
        "docker_gwbridge",
        "-f",
        "{{(index .IPAM.Config 0).Gateway}}",
    ]);
    let connect = |address: &str, port: u16| {
        let address: std::net::SocketAddr = format!("{address}:{port}").parse().unwrap();
        std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok()
    };
    for port in [3306, 8333, 9090, 5000] {
        assert!(connect("127.0.0.1", port), "127.0.0.1:{port} must answer");
        for address in host_addresses
            .split_whitespace()
            .chain(std::iter::once(gateway.as_str()))
            .filter(|a| !a.contains(':'))
        {
            assert!(
                !connect(address, port),
                "{address}:{port} answers beyond the loopback"
            );
        }
    }
}

/// The edge, the platform's one public listener, holds no engine socket: sites' routes come
/// from the controller, not from Traefik asking the engine.
#[tokio::test]
async fn the_edge_holds_no_engine_socket() {
    if Platform::connect_or_skip().await.is_none() {
        return;
    }
    let traefik = platform_container("traefik");
    let mounts = docker(&[
        "inspect",
        "-f",
        "{{range .Mounts}}{{.Source}} {{end}}",
        &traefik,
    ]);
    assert!(!mounts.contains("docker.sock"), "Traefik mounts {mounts}");
    let socket = exec(&traefik, "root", "ls /var/run/docker.sock 2>&1 || true");
    assert!(socket.contains("No such file"), "{socket}");
}

/// The internet-facing API holds no engine socket; its one way to the engine, the
/// allow-list proxy, answers reads and refuses a container create (403) — asked from inside
/// a running API task, as a compromised API process would.
#[tokio::test]
async fn the_api_can_read_the_engine_but_not_change_it() {
    if Platform::connect_or_skip().await.is_none() {
        return;
    }
    let api = platform_container("api");
    let mounts = docker(&[
        "inspect",
        "-f",
        "{{range .Mounts}}{{.Source}} {{end}}",
        &api,
    ]);
    assert!(!mounts.contains("docker.sock"), "the API mounts {mounts}");
    let ask = |request: &str| {
        exec(
            &api,
            "nobody",
            &format!(
                "exec 3<>/dev/tcp/docker-proxy/2375 && printf '{request}' >&3 && head -n 1 <&3"
            ),
        )
    };
    let read = ask("GET /v1.41/version HTTP/1.0\\r\\nHost: engine\\r\\n\\r\\n");
    assert!(read.contains(" 200 "), "{read}");
    let create = ask(
        "POST /v1.41/containers/create HTTP/1.0\\r\\nHost: engine\\r\\n\
         Content-Type: application/json\\r\\nContent-Length: 2\\r\\n\\r\\n{}",
    );
    assert!(create.contains(" 403 "), "{create}");
    let secret = ask("GET /v1.41/secrets HTTP/1.0\\r\\nHost: engine\\r\\n\\r\\n");
    assert!(secret.contains(" 403 "), "{secret}");
    let remove =
        ask("DELETE /v1.41/services/swarmpress_api HTTP/1.0\\r\\nHost: engine\\r\\n\\r\\n");
    assert!(remove.contains(" 403 "), "{remove}");
}
