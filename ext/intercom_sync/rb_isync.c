/* Entry point of the native extension: libcurl's global state and the Ruby classes. */
#include "isync.h"

VALUE mIntercomSync;
VALUE mIntercomSyncNative;

RUBY_FUNC_EXPORTED void Init_intercom_sync_ext(void)
{
    /* Once per process, before any thread can create a handle (libcurl-thread(3)). */
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) rb_raise(rb_eLoadError, "libcurl global init failed: %s", curl_easy_strerror(rc));

    mIntercomSync = rb_define_module("IntercomSync");
    mIntercomSyncNative = rb_define_module_under(mIntercomSync, "Native");

    const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
    rb_define_const(mIntercomSyncNative, "LIBCURL_VERSION", rb_str_freeze(rb_str_new_cstr(info->version)));
    rb_define_const(mIntercomSyncNative, "LIBCURL_SSL_VERSION",
                    rb_str_freeze(rb_str_new_cstr(info->ssl_version ? info->ssl_version : "none")));

    isync_init_errors();
    isync_init_json();
    isync_init_client();
    isync_init_trace();
    isync_init_sync();
    isync_init_contact();
    isync_init_memory();
}
