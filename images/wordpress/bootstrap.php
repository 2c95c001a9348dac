<?php
// Waits for the database, then installs WordPress exactly once (or upgrades its database when
// this image brings a newer core) and pins home/siteurl to the public URL. Runs before Apache
// starts, under a database lock, so replicas starting together never install twice.
declare(strict_types=1);

require_once '/etc/wordpress/swarmpress-db.php';
mysqli_report(MYSQLI_REPORT_OFF);

function say(string $msg): void {
    fwrite(STDERR, "swarmpress: $msg\n");
}

$wait = (int) (getenv('WORDPRESS_DB_WAIT_SECONDS') ?: 120);
$deadline = microtime(true) + $wait;
$delay = 0.05;
$attempts = 0;
while (true) {
    $attempts++;
    $link = @mysqli_connect(DB_HOST, DB_USER, DB_PASSWORD, DB_NAME);
    if ($link) {
        break;
    }
    if (microtime(true) + $delay > $deadline) {
        say("database " . DB_NAME . " at " . DB_HOST . " not reachable after $attempts attempts in {$wait}s: " . mysqli_connect_error());
        exit(1);
    }
    usleep((int) ($delay * 1e6));
    $delay = min($delay * 2, 2.0);
}
if ($attempts > 1) {
    say("database reachable after $attempts attempts");
}

$lock = 'swarmpress_install_' . DB_NAME;
$got = mysqli_query($link, "SELECT GET_LOCK('" . mysqli_real_escape_string($link, $lock) . "', 120)");
if (!$got || (int) mysqli_fetch_row($got)[0] !== 1) {
    say('could not take the install lock within 120s');
    exit(1);
}

define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = (string) parse_url((string) getenv('WORDPRESS_URL'), PHP_URL_HOST);
$_SERVER['REQUEST_URI'] = '/';
require '/usr/share/wordpress/wp-load.php';

// Installation must not wait on the network: no mail, no self-requests for permalink probing.
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}
add_filter('pre_http_request', static fn() => new WP_Error('swarmpress_offline', 'outbound HTTP is disabled during bootstrap'));
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

function secret(string $name): ?string {
    $file = getenv($name . '_FILE');
    if ($file !== false && $file !== '') {
        $v = @file_get_contents($file);
        if ($v === false) {
            say("{$name}_FILE ($file) cannot be read");
            exit(1);
        }
        return rtrim($v, "\r\n");
    }
    $v = getenv($name);
    return $v === false || $v === '' ? null : $v;
}

if (!is_blog_installed()) {
    $started = microtime(true);
    $title = getenv('WORDPRESS_TITLE') ?: 'My WordPress Site';
    $user = getenv('WORDPRESS_ADMIN_USER') ?: 'admin';
    $email = getenv('WORDPRESS_ADMIN_EMAIL') ?: 'admin@example.com';
    $password = secret('WORDPRESS_ADMIN_PASSWORD');
    if ($password === null) {
        say('WORDPRESS_ADMIN_PASSWORD_FILE is required to install the site');
        exit(1);
    }
    $result = wp_install($title, $user, $email, true, '', wp_slash($password));
    if (is_wp_error($result) || empty($result['user_id'])) {
        say('install failed: ' . (is_wp_error($result) ? $result->get_error_message() : 'no user created'));
        exit(1);
    }
    update_option('permalink_structure', '/%postname%/');
    flush_rewrite_rules(false);
    say(sprintf('installed "%s" for %s in %.2fs', $title, $user, microtime(true) - $started));
} else {
    global $wp_db_version;
    if ((int) get_option('db_version') < (int) $wp_db_version) {
        say('upgrading the database from ' . get_option('db_version') . " to $wp_db_version");
        wp_upgrade();
    }
}

// The constants already win over the stored values; storing them too keeps exports, plugins
// and direct database readers consistent with the public URL.
foreach (['home', 'siteurl'] as $option) {
    if (get_option($option) !== WP_HOME) {
        update_option($option, WP_HOME);
    }
}
mysqli_query($link, "SELECT RELEASE_LOCK('" . mysqli_real_escape_string($link, $lock) . "')");
