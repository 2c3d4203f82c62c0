#pragma once

#include <memory>
#include <string>

// OpenSSL's types, declared here so that only tls.cc and uv_loop.cc include openssl/ssl.h.
struct ssl_ctx_st;
struct ssl_st;

namespace groupd {

struct Config;

namespace uvw {

// Whether the accepting side of a TLS connection asks for the other side's certificate, as in
// Redis's tls-auth-clients.
enum class TlsPeerAuth {
  kNo,        // No certificate is requested.
  kOptional,  // A certificate is requested; if one is sent it must verify against the CA.
  kRequired,  // A certificate that verifies against the CA is mandatory.
};

struct TlsOptions {
  std::string cert_file;  // PEM certificate (chain) this side presents, in both roles.
  std::string key_file;   // PEM private key of cert_file.
  std::string ca_file;    // PEM CA bundle that peer certificates must chain to.
  TlsPeerAuth accept_auth = TlsPeerAuth::kRequired;
};

// One SSL_CTX: this side's certificate and key, the CA it trusts, and the verification policy.
// Sessions made from it in server mode (accepted connections) verify the client's certificate as
// accept_auth says; sessions in client mode (dialed connections) always verify the server's
// certificate against ca_file. Hostnames are not checked: peers are dialed by address, and the
// CA is the trust boundary (as for Redis replication over TLS).
//
// Sessions hold a reference to the SSL_CTX, so streams may outlive this object; a TcpListener
// given a context must not. Loop thread only.
class TlsContext {
 public:
  // Loads the files and checks that the key matches the certificate. Returns null and sets
  // *error (naming the file and OpenSSL's reason) on failure.
  static std::unique_ptr<TlsContext> Create(const TlsOptions& options, std::string* error);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A new session in accept (server) or connect (client) state with its verification set up,
  // or null on allocation failure. The caller owns it (SSL_free).
  ssl_st* NewSession(bool server_mode) const;

 private:
  TlsContext(ssl_ctx_st* ctx, TlsPeerAuth accept_auth) : ctx_(ctx), accept_auth_(accept_auth) {}
  ssl_ctx_st* ctx_;
  TlsPeerAuth accept_auth_;
};

// Takes and clears OpenSSL's error queue for this thread, as one line ("" when empty). When ssl
// is given and its peer certificate failed verification, the verification reason is included.
std::string TakeTlsError(const ssl_st* ssl = nullptr);

}  // namespace uvw

// Builds the context of the TLS client port (port == "client") or of the peer port and the
// links this node dials ("peer") from the tls-* options. Peers always verify each other's
// certificates; clients as tls-auth-clients says. Returns null and sets *error on failure,
// including a missing tls-cert-file / tls-key-file, or a missing tls-ca-cert-file where
// certificates must be verified.
std::unique_ptr<uvw::TlsContext> MakeTlsContext(const Config& config, bool for_peers,
                                                std::string* error);

}  // namespace groupd
