// Batched UDP I/O for the DNS listener (Linux): recvmmsg/sendmmsg on a socket polled by
// Node's own libuv loop, one JS call per batch of datagrams.
//
// Why: through node:dgram every datagram costs a libuv recvmsg, a JS callback with a fresh
// ArrayBuffer and rinfo object, and a SendWrap plus sendmsg for the reply. On the benchmark
// machine that overhead (~17 us of CPU per datagram for an echo) is more than twice NSD's whole
// cost per query, and the per-datagram ArrayBuffers make every young-generation GC pause last
// ~4 ms. Here datagrams land in one long-lived buffer that JS reads in place; JS writes each
// reply over its query's slot and this module sends the whole batch with one syscall.
//
// Contract with JS (src/server/udp-native.ts):
//   open(family 4|6, host, port, buffer, onBatch) -> handle    throws Error with .code (EADDRINUSE...)
//   port(handle) -> bound port;   close(handle) -> undefined (idempotent)
//   buffer: ArrayBuffer of BATCH * (SLOT + META) bytes, owned by JS, kept alive here.
//     slot i     at i * SLOT:                 datagram bytes in, reply bytes out
//     meta i     at BATCH * SLOT + i * META:  int32 length, int32 port, int32 family,
//                                             int32 reply length (JS writes, 0 = none),
//                                             16 address bytes (IPv4 in the first 4)
//   onBatch(count, unsent, errorCode) is called with `count` datagrams in slots 0..count-1;
//   `unsent` replies of earlier batches the kernel refused since the last call, errorCode the
//   last refusal's code (e.g. "EAGAIN"), else undefined. No JS runs on another thread;
//   everything happens on the event loop thread.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define BATCH 64
#define SLOT 65536 /* any UDP payload fits: no datagram is ever cut short */
#define META 32
/* Batches per readable event before returning to the loop, so TCP and timers keep running. */
#define ROUNDS_PER_EVENT 4
/* Bytes the kernel may queue for us: absorbs bursts while JS is busy (e.g. a rebuild). */
#define RECEIVE_BUFFER_BYTES (4 * 1024 * 1024)

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  int closed;
  int unsent;       /* replies sendmmsg refused since the last onBatch call */
  int unsent_errno; /* errno of the last refusal */
  uint16_t port;
  uint8_t* data;
  napi_ref buffer_ref;
  napi_ref callback_ref;
  napi_ref resource_ref;
  napi_async_context async_context;
  struct mmsghdr messages[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_storage names[BATCH];
  struct mmsghdr replies[BATCH];
} udp_batch;

#define CHECK(env, call)                                          \
  do {                                                            \
    if ((call) != napi_ok) {                                      \
      napi_throw_error((env), NULL, "udp_batch: " #call " failed"); \
      return NULL;                                                \
    }                                                             \
  } while (0)

static napi_value throw_errno(napi_env env, int sys_errno, const char* what) {
  int uv_code = uv_translate_sys_error(sys_errno);
  char message[160];
  snprintf(message, sizeof message, "%s %s: %s", what, uv_err_name(uv_code),
           uv_strerror(uv_code));
  napi_throw_error(env, uv_err_name(uv_code), message);
  return NULL;
}

static void write_int32(uint8_t* at, int32_t value) { memcpy(at, &value, 4); }
static int32_t read_int32(const uint8_t* at) {
  int32_t value;
  memcpy(&value, at, 4);
  return value;
}

/* Fills meta for message i from what recvmmsg returned. */
static void describe(udp_batch* b, int i) {
  uint8_t* meta = b->data + (size_t)BATCH * SLOT + (size_t)i * META;
  const struct sockaddr_storage* from = &b->names[i];
  write_int32(meta, (int32_t)b->messages[i].msg_len);
  write_int32(meta + 12, 0);
  if (from->ss_family == AF_INET6) {
    const struct sockaddr_in6* v6 = (const struct sockaddr_in6*)from;
    write_int32(meta + 4, ntohs(v6->sin6_port));
    write_int32(meta + 8, 6);
    memcpy(meta + 16, &v6->sin6_addr, 16);
  } else {
    const struct sockaddr_in* v4 = (const struct sockaddr_in*)from;
    write_int32(meta + 4, ntohs(v4->sin_port));
    write_int32(meta + 8, 4);
    memcpy(meta + 16, &v4->sin_addr, 4);
  }
}

static void call_js(udp_batch* b, int count) {
  napi_env env = b->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, resource, arguments[3], result;
  int ok = napi_get_reference_value(env, b->callback_ref, &callback) == napi_ok &&
           napi_get_reference_value(env, b->resource_ref, &resource) == napi_ok &&
           napi_create_int32(env, count, &arguments[0]) == napi_ok &&
           napi_create_int32(env, b->unsent, &arguments[1]) == napi_ok;
  if (ok && b->unsent > 0) {
    const char* code = uv_err_name(uv_translate_sys_error(b->unsent_errno));
    ok = napi_create_string_latin1(env, code, NAPI_AUTO_LENGTH, &arguments[2]) == napi_ok;
  } else if (ok) {
    ok = napi_get_undefined(env, &arguments[2]) == napi_ok;
  }
  b->unsent = 0;
  if (ok) {
    // make_callback (not call_function): runs the nextTick and microtask queues afterwards,
    // as Node does after every dgram 'message' event.
    napi_status status =
        napi_make_callback(env, b->async_context, resource, callback, 3, arguments, &result);
    if (status == napi_pending_exception) {
      napi_value error;
      if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

/* Sends the replies JS wrote; a reply the kernel refuses is dropped (UDP), the rest still go. */
static void send_replies(udp_batch* b, int count) {
  int pending = 0;
  for (int i = 0; i < count; i++) {
    const uint8_t* meta = b->data + (size_t)BATCH * SLOT + (size_t)i * META;
    int32_t length = read_int32(meta + 12);
    int32_t port = read_int32(meta + 4);
    if (length <= 0 || length > SLOT || port == 0) continue;
    struct mmsghdr* reply = &b->replies[pending++];
    b->iov[i].iov_base = b->data + (size_t)i * SLOT;
    b->iov[i].iov_len = (size_t)length;
    memset(&reply->msg_hdr, 0, sizeof reply->msg_hdr);
    reply->msg_hdr.msg_name = &b->names[i];
    reply->msg_hdr.msg_namelen = b->messages[i].msg_hdr.msg_namelen;
    reply->msg_hdr.msg_iov = &b->iov[i];
    reply->msg_hdr.msg_iovlen = 1;
  }
  int sent = 0;
  while (sent < pending) {
    int n = sendmmsg(b->fd, b->replies + sent, (unsigned)(pending - sent), MSG_DONTWAIT);
    if (n > 0) {
      sent += n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      /* This reply cannot go (full send buffer, unreachable...): skip it, send the rest, and
         tell JS with the next batch (it logs, as dgram's 'error' event would). */
      b->unsent++;
      b->unsent_errno = n < 0 ? errno : EIO;
      sent++;
    }
  }
}

static void on_readable(uv_poll_t* handle, int status, int events) {
  (void)events;
  udp_batch* b = handle->data;
  if (status < 0 || b->closed) return;
  for (int round = 0; round < ROUNDS_PER_EVENT && !b->closed; round++) {
    for (int i = 0; i < BATCH; i++) {
      b->iov[i].iov_base = b->data + (size_t)i * SLOT;
      b->iov[i].iov_len = SLOT;
      memset(&b->messages[i].msg_hdr, 0, sizeof b->messages[i].msg_hdr);
      b->messages[i].msg_hdr.msg_name = &b->names[i];
      b->messages[i].msg_hdr.msg_namelen = sizeof b->names[i];
      b->messages[i].msg_hdr.msg_iov = &b->iov[i];
      b->messages[i].msg_hdr.msg_iovlen = 1;
    }
    int count = recvmmsg(b->fd, b->messages, BATCH, MSG_DONTWAIT, NULL);
    if (count <= 0) return; /* EAGAIN: drained; other errors: the next event retries */
    for (int i = 0; i < count; i++) describe(b, i);
    call_js(b, count);
    if (b->closed) return; /* JS closed the socket from the callback */
    send_replies(b, count);
    if (count < BATCH) return;
  }
}

static void on_closed(uv_handle_t* handle) {
  udp_batch* b = handle->data;
  napi_env env = b->env;
  close(b->fd);
  napi_delete_reference(env, b->buffer_ref);
  napi_delete_reference(env, b->callback_ref);
  napi_delete_reference(env, b->resource_ref);
  napi_async_destroy(env, b->async_context);
  free(b);
}

static int bind_socket(int family, const char* host, int port, int* fd_out, uint16_t* port_out) {
  struct sockaddr_storage address;
  socklen_t length;
  memset(&address, 0, sizeof address);
  if (family == 6) {
    struct sockaddr_in6* v6 = (struct sockaddr_in6*)&address;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1) return EINVAL;
    length = sizeof *v6;
  } else {
    struct sockaddr_in* v4 = (struct sockaddr_in*)&address;
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &v4->sin_addr) != 1) return EINVAL;
    length = sizeof *v4;
  }
  int fd = socket(address.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int off = 0, size = RECEIVE_BUFFER_BYTES;
  /* As dgram with ipv6Only: false: an IPv6 socket also takes IPv4 (as ::ffff:a.b.c.d). */
  if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size); /* capped by rmem_max: fine */
  if (bind(fd, (struct sockaddr*)&address, length) != 0) {
    int error = errno;
    close(fd);
    return error;
  }
  length = sizeof address;
  if (getsockname(fd, (struct sockaddr*)&address, &length) != 0) {
    int error = errno;
    close(fd);
    return error;
  }
  *port_out = ntohs(family == 6 ? ((struct sockaddr_in6*)&address)->sin6_port
                                : ((struct sockaddr_in*)&address)->sin_port);
  *fd_out = fd;
  return 0;
}

static napi_value open_socket(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "open(family, host, port, buffer, onBatch)");
    return NULL;
  }
  int32_t family, port;
  char host[64];
  size_t host_length;
  void* data;
  size_t data_length;
  CHECK(env, napi_get_value_int32(env, argv[0], &family));
  CHECK(env, napi_get_value_string_latin1(env, argv[1], host, sizeof host, &host_length));
  CHECK(env, napi_get_value_int32(env, argv[2], &port));
  CHECK(env, napi_get_arraybuffer_info(env, argv[3], &data, &data_length));
  if (data_length < (size_t)BATCH * (SLOT + META) || (family != 4 && family != 6) || port < 0 ||
      port > 65535) {
    napi_throw_range_error(env, NULL, "udp_batch: bad family, port or buffer size");
    return NULL;
  }
  int fd = -1;
  uint16_t bound_port = 0;
  int error = bind_socket(family, host, port, &fd, &bound_port);
  if (error != 0) return throw_errno(env, error, "bind");

  udp_batch* b = calloc(1, sizeof *b);
  if (b == NULL) {
    close(fd);
    return throw_errno(env, ENOMEM, "open");
  }
  b->env = env;
  b->fd = fd;
  b->port = bound_port;
  b->data = data;
  napi_value resource, name, handle;
  uv_loop_t* loop;
  if (napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_latin1(env, "clusterset-dns:udp", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, resource, name, &b->async_context) != napi_ok ||
      napi_create_reference(env, resource, 1, &b->resource_ref) != napi_ok ||
      napi_create_reference(env, argv[3], 1, &b->buffer_ref) != napi_ok ||
      napi_create_reference(env, argv[4], 1, &b->callback_ref) != napi_ok ||
      napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &b->poll, fd) != 0) {
    /* Only reachable when the VM is out of memory; the refs leak with the process. */
    close(fd);
    free(b);
    napi_throw_error(env, NULL, "udp_batch: cannot set up the socket");
    return NULL;
  }
  b->poll.data = b;
  uv_poll_start(&b->poll, UV_READABLE, on_readable);
  CHECK(env, napi_create_external(env, b, NULL, NULL, &handle));
  return handle;
}

static udp_batch* unwrap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* b = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_external(env, argv[0], &b) != napi_ok) {
    napi_throw_type_error(env, NULL, "udp_batch: expected a socket handle");
    return NULL;
  }
  return b;
}

static napi_value socket_port(napi_env env, napi_callback_info info) {
  udp_batch* b = unwrap(env, info);
  if (b == NULL) return NULL;
  napi_value port;
  CHECK(env, napi_create_int32(env, b->port, &port));
  return port;
}

/* The handle's memory is freed by on_closed; JS must not use the handle after close. */
static napi_value close_socket(napi_env env, napi_callback_info info) {
  udp_batch* b = unwrap(env, info);
  if (b == NULL) return NULL;
  if (!b->closed) {
    b->closed = 1;
    uv_poll_stop(&b->poll);
    uv_close((uv_handle_t*)&b->poll, on_closed);
  }
  return NULL;
}

static napi_value constant(napi_env env, int32_t value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"open", NULL, open_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"port", NULL, socket_port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"BATCH", NULL, NULL, NULL, NULL, constant(env, BATCH), napi_enumerable, NULL},
      {"SLOT", NULL, NULL, NULL, NULL, constant(env, SLOT), napi_enumerable, NULL},
      {"META", NULL, NULL, NULL, NULL, constant(env, META), napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}
