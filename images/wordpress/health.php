<?php
// Container health: Apache and PHP answer, and the site's database is reachable and installed.
// Kept outside WordPress so a probe costs one query, not a page render.
require_once '/etc/wordpress/swarmpress-db.php';
mysqli_report(MYSQLI_REPORT_OFF);
header('Content-Type: text/plain');
header('Cache-Control: no-store');
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
echo "ok\n";
