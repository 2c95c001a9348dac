<?php
// Container health: Apache and PHP answer, and the site's database is reachable and installed.
// Kept outside WordPress so a probe costs one query, not a page render. `?live` asks only
// whether Apache and PHP answer (serve.sh's liveness watch): a database outage must not make
// every site restart.
header('Content-Type: text/plain');
header('Cache-Control: no-store');
if (isset($_GET['live'])) {
    exit("ok\n");
}
require_once '/etc/wordpress/swarmpress-db.php';
mysqli_report(MYSQLI_REPORT_OFF);
$db = @mysqli_connect(DB_HOST, DB_USER, DB_PASSWORD, DB_NAME);
if (!$db) {
    http_response_code(503);
    exit("database unreachable\n");
}
$table = $table_prefix . 'options';
$res = @mysqli_query($db, "SELECT option_value FROM `$table` WHERE option_name = 'siteurl'");
if (!$res || !mysqli_fetch_row($res)) {
    http_response_code(503);
    exit("not installed\n");
}
// Which container answered: the controller asks through the edge, which may route to a task
// that is on its way out, and counts a site ready once each of its current tasks answered.
echo "ok " . gethostname() . "\n";
