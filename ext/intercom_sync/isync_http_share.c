/*
 * DNS answers and TLS sessions shared by every client of the process (libcurl's share
 * interface), so a thread's new connection resumes a TLS session another thread negotiated
 * instead of paying a full handshake. Connections themselves are not shared: libcurl does not
 * support sharing its connection cache between concurrently running threads.
 */
#include "isync_http_internal.h"

#include <pthread.h>
#include <unistd.h>

static CURLSH *shared;
static CURLSH *inherited; /* the parent's share, in a forked child: never used, never freed */
static pid_t shared_pid;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
static pthread_mutex_t share_init_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t share_once = PTHREAD_ONCE_INIT;

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *user)
{
    (void)handle;
    (void)access;
    (void)user;
    pthread_mutex_lock(&share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *user)
{
    (void)handle;
    (void)user;
    pthread_mutex_unlock(&share_locks[data]);
}

/* fork() copies the locks as they are: hold them all across the fork so the child never
 * inherits one that another thread held. */
static void before_fork(void)
{
    pthread_mutex_lock(&share_init_lock);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_lock(&share_locks[i]);
}

static void after_fork(void)
{
    for (int i = CURL_LOCK_DATA_LAST - 1; i >= 0; i--) pthread_mutex_unlock(&share_locks[i]);
    pthread_mutex_unlock(&share_init_lock);
}

static void init_share_locks(void)
{
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&share_locks[i], NULL);
    pthread_atfork(before_fork, after_fork, after_fork);
}

/* The process's share; a forked child starts its own (the parent's is left alone). */
CURLSH *isync_http_process_share(void)
{
    pthread_once(&share_once, init_share_locks);
    pthread_mutex_lock(&share_init_lock);
    if (!shared || shared_pid != getpid()) {
        CURLSH *sh = curl_share_init();
        if (sh && (curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
                   curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
                   curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
                   curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)) {
            curl_share_cleanup(sh);
            sh = NULL;
        }
        /* a forked child leaves its parent's share alone (a thread the fork did not copy may have
         * held one of its locks), and keeps it where a leak check still finds it */
        if (shared) inherited = shared;
        shared = sh; /* NULL: clients go without sharing, nothing else changes */
        shared_pid = getpid();
    }
    CURLSH *sh = shared;
    pthread_mutex_unlock(&share_init_lock);
    return sh;
}
