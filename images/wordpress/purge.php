<?php
// Cache purge, run inside Apache so that opcache_reset() empties the opcache the site's
// requests use (a CLI process has an opcache of its own). Only the controller can call it: it
// execs into the container, writes a one-time token to /tmp/swarmpress-purge, calls this from
// 127.0.0.1 with the token, and removes the token. A request through the edge has no token.
// Answers one JSON object: what was flushed, from which container.
header('Content-Type: application/json');
header('Cache-Control: no-store');
$expected = @file_get_contents('/tmp/swarmpress-purge');
$given = $_SERVER['HTTP_X_SWARMPRESS_PURGE'] ?? '';
if (!is_string($expected) || strlen($expected) < 32 || !is_string($given) || !hash_equals($expected, $given)) {
    http_response_code(403);
    exit("{\"error\":\"forbidden\"}\n");
}
define('WP_USE_THEMES', false);
require '/usr/share/wordpress/wp-load.php';
// The object cache (in-process unless a persistent one is installed) and every transient,
// which WordPress keeps in the options table when there is no persistent object cache.
$object_cache = wp_cache_flush();
global $wpdb;
$transients = $wpdb->query(
    "DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\_transient\\_%' OR option_name LIKE '\\_site\\_transient\\_%'"
);
$opcache = function_exists('opcache_reset') ? opcache_reset() : false;
echo json_encode([
    'objectCache' => (bool) $object_cache,
    'transients' => $transients === false ? -1 : (int) $transients,
    'opcache' => (bool) $opcache,
    'host' => gethostname(),
]), "\n";
