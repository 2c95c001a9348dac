<?php
// Renders wp-config.php, the database settings and the Apache site from the environment.
// Secrets are referenced by their *_FILE path and read at request time, so their values are
// never copied into a config file, the environment or the logs.
declare(strict_types=1);

function fail(string $msg): never {
    fwrite(STDERR, "swarmpress: $msg\n");
    exit(64);
}

function env(string $name, ?string $default = null): ?string {
    $v = getenv($name);
    return ($v === false || $v === '') ? $default : $v;
}

function required(string $name): string {
    return env($name) ?? fail("$name is required");
}

// PHP source for a secret: read from its file when NAME_FILE is set, else the plain NAME.
function secret_expr(string $name): string {
    $file = env($name . '_FILE');
    if ($file !== null) {
        if (!is_readable($file)) {
            fail("{$name}_FILE points at $file, which cannot be read");
        }
        return 'rtrim((string) file_get_contents(' . var_export($file, true) . '), "\r\n")';
    }
    return var_export(required($name), true);
}

function write_file(string $path, string $content, int $mode = 0640): void {
    $tmp = $path . '.tmp';
    if (file_put_contents($tmp, $content) === false || !chmod($tmp, $mode) || !rename($tmp, $path)) {
        fail("cannot write $path");
    }
}

$url = rtrim(required('WORDPRESS_URL'), '/');
if (!preg_match('~^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$~', $url)) {
    fail("WORDPRESS_URL must be scheme://host[:port] without a path, got " . var_export($url, true));
}
$prefix = rtrim(env('WORDPRESS_PATH_PREFIX', '') ?? '', '/');
if ($prefix !== '' && !preg_match('~^(/[A-Za-z0-9._-]+)+$~', $prefix)) {
    fail('WORDPRESS_PATH_PREFIX must look like /blog or /a/b');
}
$table_prefix = env('WORDPRESS_TABLE_PREFIX', 'wp_');
if (!preg_match('/^[A-Za-z0-9_]{1,20}$/', $table_prefix)) {
    fail('WORDPRESS_TABLE_PREFIX must be letters, digits and underscores');
}
$site = $url . $prefix;

$db = "<?php\n// Rendered by swarmpress at container start; do not edit.\n"
    . 'define(\'DB_NAME\', ' . var_export(required('WORDPRESS_DB_NAME'), true) . ");\n"
    . 'define(\'DB_USER\', ' . var_export(required('WORDPRESS_DB_USER'), true) . ");\n"
    . 'define(\'DB_PASSWORD\', ' . secret_expr('WORDPRESS_DB_PASSWORD') . ");\n"
    . 'define(\'DB_HOST\', ' . var_export(env('WORDPRESS_DB_HOST', 'mariadb'), true) . ");\n"
    . "define('DB_CHARSET', 'utf8mb4');\ndefine('DB_COLLATE', '');\n"
    . '$table_prefix = ' . var_export($table_prefix, true) . ";\n";

// The site's own bucket and the key that opens it and no other (the key file: id, then secret,
// one per line, read at request time like the database password). Named for swarmpress and
// for the S3-Uploads plugin, which a site can install to keep its media in the bucket.
$s3_file = env('WORDPRESS_S3_CREDENTIALS_FILE');
if ($s3_file !== null) {
    if (!is_readable($s3_file)) {
        fail("WORDPRESS_S3_CREDENTIALS_FILE points at $s3_file, which cannot be read");
    }
    $line = fn (int $n): string => '(explode("\n", (string) file_get_contents(' . var_export($s3_file, true) . ')) + ["", ""])[' . $n . ']';
    $bucket = var_export(required('WORDPRESS_S3_BUCKET'), true);
    $endpoint = var_export(required('WORDPRESS_S3_ENDPOINT'), true);
    $db .= "define('SWARMPRESS_S3_ENDPOINT', $endpoint);\n"
        . "define('SWARMPRESS_S3_BUCKET', $bucket);\n"
        . "define('SWARMPRESS_S3_KEY', " . $line(0) . ");\n"
        . "define('SWARMPRESS_S3_SECRET', " . $line(1) . ");\n"
        . "if (!defined('S3_UPLOADS_BUCKET')) define('S3_UPLOADS_BUCKET', $bucket);\n"
        . "if (!defined('S3_UPLOADS_REGION')) define('S3_UPLOADS_REGION', 'us-east-1');\n"
        . "if (!defined('S3_UPLOADS_KEY')) define('S3_UPLOADS_KEY', SWARMPRESS_S3_KEY);\n"
        . "if (!defined('S3_UPLOADS_SECRET')) define('S3_UPLOADS_SECRET', SWARMPRESS_S3_SECRET);\n";
}

// Tenant-supplied WP_* variables (the spec's env) become constants: WP_DEBUG=true and the like.
$extra = '';
foreach (getenv() as $k => $v) {
    if (!preg_match('/^WP_[A-Z0-9_]+$/', $k) || in_array($k, ['WP_HOME', 'WP_SITEURL', 'WP_CONTENT_DIR', 'WP_CONTENT_URL'], true)) {
        continue;
    }
    $value = match (strtolower($v)) {
        'true' => true,
        'false' => false,
        default => preg_match('/^-?[0-9]{1,9}$/', $v) ? (int) $v : $v,
    };
    $extra .= "if (!defined('$k')) define('$k', " . var_export($value, true) . ");\n";
}

$config = "<?php\n// Rendered by swarmpress at container start; do not edit.\n"
    . "require_once __DIR__ . '/swarmpress-db.php';\n"
    . 'define(\'WP_HOME\', ' . var_export($site, true) . ");\n"
    . 'define(\'WP_SITEURL\', ' . var_export($site, true) . ");\n"
    . "define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');\n"
    . 'define(\'WP_CONTENT_URL\', ' . var_export($site . '/wp-content', true) . ");\n"
    . "define('FS_METHOD', 'direct');\n"
    . "define('AUTOMATIC_UPDATER_DISABLED', true);\n"
    . "define('WP_AUTO_UPDATE_CORE', false);\n"
    . "define('DISALLOW_FILE_EDIT', true);\n"
    . $extra
    . "require_once '/usr/local/share/swarmpress/upload-guard.php';\n"
    . "if ((\$_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '') === 'https') { \$_SERVER['HTTPS'] = 'on'; }\n"
    . "if (!defined('ABSPATH')) define('ABSPATH', '/usr/share/wordpress/');\n"
    . "require_once ABSPATH . 'wp-settings.php';\n";
// Authentication salts are deliberately not defined here: WordPress then keeps them in the
// database, which every replica shares, so a login made on one replica is valid on all.

$mount = $prefix === '' ? '/' : $prefix . '/';
$alias = $prefix === ''
    ? "DocumentRoot /usr/share/wordpress\nAlias /wp-content /var/lib/wordpress/wp-content\n"
    : "Alias $prefix/wp-content /var/lib/wordpress/wp-content\nAlias $prefix /usr/share/wordpress\n"
      . "RedirectMatch 302 ^/$ $prefix/\n";
$apache = "# Rendered by swarmpress at container start; do not edit.\n" . $alias . <<<CONF
<Directory /usr/share/wordpress>
    Options FollowSymLinks
    AllowOverride None
    Require all granted
    DirectoryIndex index.php
    RewriteEngine On
    RewriteBase $mount
    RewriteRule ^index\.php$ - [L]
    RewriteCond %{REQUEST_FILENAME} !-f
    RewriteCond %{REQUEST_FILENAME} !-d
    RewriteRule . {$mount}index.php [L]
</Directory>
<Directory /var/lib/wordpress/wp-content>
    Options FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>
<Directory /var/lib/wordpress/wp-content/uploads>
    php_admin_flag engine off
</Directory>

CONF;

write_file('/etc/wordpress/swarmpress-db.php', $db);
write_file('/etc/wordpress/wp-config.php', $config);
write_file('/etc/apache2/swarmpress-site.conf', $apache, 0644);
chgrp('/etc/wordpress/swarmpress-db.php', 'www-data');
chgrp('/etc/wordpress/wp-config.php', 'www-data');
