#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "server/config.h"

namespace groupd {
namespace uvw {

namespace {

constexpr unsigned char kSessionIdContext[] = "groupd";

std::string FileError(const char* what, const std::string& path) {
  return std::string(what) + " '" + path + "': " + TakeTlsError();
}

}  // namespace

std::string TakeTlsError(const ssl_st* ssl) {
  std::string out;
  if (ssl != nullptr) {
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) out = X509_verify_cert_error_string(verify);
  }
  unsigned long e;
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

std::unique_ptr<TlsContext> TlsContext::Create(const TlsOptions& options, std::string* error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) {
    *error = "cannot create a TLS context: " + TakeTlsError();
    return nullptr;
  }
  std::unique_ptr<TlsContext> out(new TlsContext(ctx, options.accept_auth));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Renegotiation would let a peer restart the handshake mid-stream; nothing here needs it.
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections give their record buffers back.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // Required for session resumption when client certificates are verified.
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof(kSessionIdContext) - 1);
  if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
    *error = FileError("cannot load certificate", options.cert_file);
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    *error = FileError("cannot load private key", options.key_file);
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    *error = "private key '" + options.key_file + "' does not match certificate '" +
             options.cert_file + "': " + TakeTlsError();
    return nullptr;
  }
  if (!options.ca_file.empty() &&
      SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
    *error = FileError("cannot load CA certificates", options.ca_file);
    return nullptr;
  }
  return out;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

ssl_st* TlsContext::NewSession(bool server_mode) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  if (server_mode) {
    SSL_set_accept_state(ssl);
    int mode = accept_auth_ == TlsPeerAuth::kNo ? SSL_VERIFY_NONE
               : accept_auth_ == TlsPeerAuth::kOptional
                   ? SSL_VERIFY_PEER
                   : SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_set_verify(ssl, mode, nullptr);
  } else {
    SSL_set_connect_state(ssl);
    SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  }
  return ssl;
}

}  // namespace uvw

std::unique_ptr<uvw::TlsContext> MakeTlsContext(const Config& config, bool for_peers,
                                                std::string* error) {
  const char* what = for_peers ? "tls-replication" : "tls-port";
  if (config.tls_cert_file.empty() || config.tls_key_file.empty()) {
    *error = std::string(what) + " needs tls-cert-file and tls-key-file";
    return nullptr;
  }
  uvw::TlsOptions options;
  options.cert_file = config.tls_cert_file;
  options.key_file = config.tls_key_file;
  options.ca_file = config.tls_ca_cert_file;
  if (for_peers) {
    // Peer links are symmetric: each side verifies the other's certificate.
    options.accept_auth = uvw::TlsPeerAuth::kRequired;
  } else if (config.tls_auth_clients == "no") {
    options.accept_auth = uvw::TlsPeerAuth::kNo;
  } else if (config.tls_auth_clients == "optional") {
    options.accept_auth = uvw::TlsPeerAuth::kOptional;
  } else {
    options.accept_auth = uvw::TlsPeerAuth::kRequired;
  }
  if (options.ca_file.empty() && options.accept_auth != uvw::TlsPeerAuth::kNo) {
    *error = std::string(what) + " needs tls-ca-cert-file to verify " +
             (for_peers ? "peer" : "client") + " certificates" +
             (for_peers ? "" : " (or tls-auth-clients no)");
    return nullptr;
  }
  return uvw::TlsContext::Create(options, error);
}

}  // namespace groupd
