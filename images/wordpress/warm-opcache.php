<?php
// Run at image build with the opcache's file cache on (see the Dockerfile): compiles every PHP
// file of WordPress core and the bundled themes into /var/cache/swarmpress/opcache, so a new
// site's first requests (and its install) load opcodes from disk instead of compiling
// WordPress on a cold cache — a second and more of a new site's first answer otherwise.
declare(strict_types=1);

$compiled = 0;
$failed = 0;
$files = new RecursiveIteratorIterator(
    new RecursiveDirectoryIterator('/usr/share/wordpress', FilesystemIterator::SKIP_DOTS)
);
foreach ($files as $file) {
    // noop.php declares stand-ins for functions that core files declare too (it is only ever
    // loaded instead of them): compiled first it makes theirs "redeclarations".
    if ($file->getExtension() !== 'php' || $file->getFilename() === 'noop.php') {
        continue;
    }
    if (@opcache_compile_file($file->getPathname())) {
        $compiled++;
    } else {
        $failed++;
    }
}
fwrite(STDERR, "opcache file cache: $compiled files compiled, $failed skipped\n");
if ($compiled === 0) {
    exit(1);
}
