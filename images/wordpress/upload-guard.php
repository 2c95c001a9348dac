<?php
// Refuses new uploads while the site is over its plan's storage allocation. The controller's
// usage meter sets the `swarmpress_upload_refusal` option (its value is the sentence shown to
// the uploader) in the site's database when a measurement finds the site over the allocation,
// and removes it once the site is back under it. Loaded from wp-config.php, before WordPress:
// the hooks are handed to WordPress as pre-initialised filters, so no plugin (and no
// mu-plugins directory in the site's own volume) is needed and a site cannot unload them.
declare(strict_types=1);

function swarmpress_upload_refusal(): ?string
{
    if (!function_exists('get_option')) {
        return null;
    }
    $refusal = get_option('swarmpress_upload_refusal', '');
    return is_string($refusal) && $refusal !== '' ? $refusal : null;
}

// Uploads through the media library, the block editor and the REST API
// (wp_handle_upload), and sideloads (media from a URL, imports: wp_handle_sideload).
function swarmpress_refuse_upload($file)
{
    $refusal = swarmpress_upload_refusal();
    if ($refusal !== null && is_array($file)) {
        $file['error'] = $refusal;
    }
    return $file;
}

// The media screens say why before anything is sent.
function swarmpress_refusal_notice(): void
{
    $refusal = swarmpress_upload_refusal();
    if ($refusal !== null) {
        echo '<div class="notice notice-error"><p>' . esc_html($refusal) . '</p></div>';
    }
}

foreach (['wp_handle_upload_prefilter', 'wp_handle_sideload_prefilter'] as $hook) {
    $GLOBALS['wp_filter'][$hook][10][] = ['function' => 'swarmpress_refuse_upload', 'accepted_args' => 1];
}
$GLOBALS['wp_filter']['admin_notices'][10][] = ['function' => 'swarmpress_refusal_notice', 'accepted_args' => 0];
