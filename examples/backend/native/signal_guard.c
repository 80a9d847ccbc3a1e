// Keeps asynchronous signals away from the threads that run TensorFlow's kernels.
//
// Why: oneDNN's JIT f32 GEMM kernels (jit_avx_gemm_f32, jit_avx512_common_gemm_f32; TensorFlow
// calls them for every MatMul, and Eigen's contractions call them even with oneDNN's ops off) point
// the stack pointer into a heap workspace while they run. A signal delivered to such a thread makes
// the kernel write the handler's frame at that stack pointer, i.e. into the heap: glibc later stops
// with "corrupted size vs. prev_size" or a segfault (oneDNN issue #4845; fixed upstream in 2026 by
// PR #4855 and its 3.11 backport #4859; TensorFlow 2.21.0, the newest wheel on PyPI, bundles oneDNN
// 3.7.3). Any handled signal does it: Ctrl-C with a handler, SIGCHLD, SIGWINCH on a terminal resize.
//
// What this does, once, before TensorFlow starts its thread pools: start one thread that only waits
// (the signals' receiver), then block the asynchronous signals in the calling thread. Every thread
// the caller starts afterwards (TensorFlow's, oneDNN's, libuv's) inherits that mask, so the kernel
// delivers a process-directed signal only to a thread that has it unblocked: this receiver, or one
// of Node's own helper threads started before, none of which runs a GEMM. The handlers still run
// (libuv's writes to its pipe and the event loop calls the JavaScript one), just on another thread.
// Child processes start with an empty mask (libuv resets it before exec). Synchronous signals
// (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS), SIGABRT and SIGPROF (V8's profiler samples the
// main thread with it) stay unblocked; SIGKILL and SIGSTOP cannot be blocked.
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static const int kAsyncSignals[] = {
    SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM,   SIGCHLD, SIGCONT,
    SIGTSTP, SIGTTIN, SIGTTOU, SIGURG,  SIGXCPU, SIGXFSZ, SIGVTALRM, SIGWINCH, SIGIO,
#ifdef SIGPWR
    SIGPWR,
#endif
};
static const size_t kCount = sizeof kAsyncSignals / sizeof *kAsyncSignals;

static int blocked = 0;

static void *receive(void *unused) {
  (void)unused;
  for (;;) pause();  // returns after each handler; the handler did the work
  return NULL;
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

// block(): blocks the signals in the calling thread after starting the receiver; returns their
// numbers. A second call only returns them.
static napi_value block(napi_env env, napi_callback_info info) {
  (void)info;
  if (!blocked) {
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < kCount; i++) sigaddset(&set, kAsyncSignals[i]);
    pthread_attr_t attr;
    pthread_t thread;
    if (pthread_attr_init(&attr) != 0) return fail(env, "signal_guard: pthread_attr_init failed");
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);  // the handlers run here: libuv's writes one message
    // Started before the mask changes, so it keeps the caller's (unblocked) mask.
    int started = pthread_create(&thread, &attr, receive, NULL);
    pthread_attr_destroy(&attr);
    if (started != 0) return fail(env, "signal_guard: could not start the receiving thread");
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return fail(env, "signal_guard: pthread_sigmask failed");
    blocked = 1;
  }
  napi_value list, number;
  napi_create_array_with_length(env, kCount, &list);
  for (size_t i = 0; i < kCount; i++) {
    napi_create_int32(env, kAsyncSignals[i], &number);
    napi_set_element(env, list, (uint32_t)i, number);
  }
  return list;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "block", NAPI_AUTO_LENGTH, block, NULL, &fn);
  napi_set_named_property(env, exports, "block", fn);
  return exports;
}
