// A small certificate authority for tests, made with OpenSSL in memory: P-256 keys, a root CA like
// Swarm's ("CN=swarm-ca"), intermediates, and node certificates with Swarm's subject
// (O = cluster id, OU = swarm-worker|swarm-manager, CN = node id), valid for a chosen window.
// Everything is PEM text, as an agent reads it from disk and a leader from GET /swarm.
#pragma once

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>

namespace orcastra::testing {

class TestKey {
 public:
  TestKey() : key_(EVP_EC_gen("P-256")) {
    if (!key_) throw std::runtime_error("EVP_EC_gen failed");
  }
  EVP_PKEY* get() const { return key_.get(); }

  // "-----BEGIN PRIVATE KEY-----" (PKCS#8), optionally with swarmkit's header lines after BEGIN.
  std::string Pkcs8Pem(const std::string& headers = "") const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
    std::string pem = Drain(bio);
    if (!headers.empty()) {
      const std::size_t eol = pem.find('\n');
      pem.insert(eol + 1, headers + "\n");
    }
    return pem;
  }
  // "-----BEGIN ENCRYPTED PRIVATE KEY-----", as swarmkit writes it with autolock.
  std::string EncryptedPem(const std::string& passphrase) const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PKCS8PrivateKey(bio, key_.get(), EVP_aes_256_cbc(), passphrase.data(),
                                  static_cast<int>(passphrase.size()), nullptr, nullptr);
    return Drain(bio);
  }

  static std::string Drain(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return out;
  }

 private:
  struct Free {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  };
  std::unique_ptr<EVP_PKEY, Free> key_;
};

struct CertSpec {
  std::string cn{};
  std::string o{};                           // "" for none
  std::string ou{};                          // "" for none
  long not_before_offset_s = -3600;          // relative to `now`
  long not_after_offset_s = 90 * 24 * 3600;  // relative to `now`
  bool ca = false;
};

// A certificate for `subject_key` described by `spec`, signed by `issuer_key` as `issuer` (nullptr:
// self-signed), with validity relative to `now` (seconds since the epoch).
inline std::string MakeCertPem(const CertSpec& spec, const TestKey& subject_key,
                               const TestKey& issuer_key, X509* issuer, std::time_t now,
                               X509** out_cert = nullptr) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  ASN1_TIME_set(X509_getm_notBefore(cert), now + spec.not_before_offset_s);
  ASN1_TIME_set(X509_getm_notAfter(cert), now + spec.not_after_offset_s);
  X509_set_pubkey(cert, subject_key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  auto add = [&](const char* field, const std::string& value) {
    if (value.empty()) return;
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
  };
  add("O", spec.o);
  add("OU", spec.ou);
  add("CN", spec.cn);
  X509_set_issuer_name(cert, issuer == nullptr ? name : X509_get_subject_name(issuer));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer == nullptr ? cert : issuer, cert, nullptr, nullptr, 0);
  auto extend = [&](int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  };
  if (spec.ca) {
    extend(NID_basic_constraints, "critical,CA:TRUE");
    extend(NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    extend(NID_basic_constraints, "critical,CA:FALSE");
    extend(NID_key_usage, "critical,digitalSignature,keyEncipherment");
    extend(NID_ext_key_usage, "serverAuth,clientAuth");
  }
  X509_sign(cert, issuer_key.get(), EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  std::string pem = TestKey::Drain(bio);
  if (out_cert != nullptr) {
    *out_cert = cert;
  } else {
    X509_free(cert);
  }
  return pem;
}

// A swarm: its root CA and cluster id, and node certificates from it.
class TestSwarm {
 public:
  explicit TestSwarm(std::time_t now, std::string cluster_id = "uk187jwpiei13w4zv9w1akyse")
      : now_(now), cluster_id_(std::move(cluster_id)) {
    root_pem_ =
        MakeCertPem({.cn = "swarm-ca", .ca = true}, root_key_, root_key_, nullptr, now_, &root_);
  }
  ~TestSwarm() { X509_free(root_); }
  TestSwarm(const TestSwarm&) = delete;
  TestSwarm& operator=(const TestSwarm&) = delete;

  const std::string& root_pem() const { return root_pem_; }
  const std::string& cluster_id() const { return cluster_id_; }

  // A node certificate for `key` signed by this swarm's root.
  std::string NodeCert(const std::string& node_id, const TestKey& key,
                       const std::string& ou = "swarm-worker", long not_before_offset_s = -3600,
                       long not_after_offset_s = 90 * 24 * 3600, const std::string& o = "") const {
    return MakeCertPem({.cn = node_id,
                        .o = o.empty() ? cluster_id_ : o,
                        .ou = ou,
                        .not_before_offset_s = not_before_offset_s,
                        .not_after_offset_s = not_after_offset_s},
                       key, root_key_, root_, now_);
  }

  // A node certificate signed by an intermediate CA (itself signed by the root): the leaf's PEM
  // followed by the intermediate's.
  std::string NodeCertViaIntermediate(const std::string& node_id, const TestKey& key) const {
    TestKey intermediate_key;
    X509* intermediate = nullptr;
    std::string intermediate_pem =
        MakeCertPem({.cn = "swarm-intermediate", .ca = true}, intermediate_key, root_key_, root_,
                    now_, &intermediate);
    std::string leaf = MakeCertPem({.cn = node_id, .o = cluster_id_, .ou = "swarm-worker"}, key,
                                   intermediate_key, intermediate, now_);
    X509_free(intermediate);
    return leaf + intermediate_pem;
  }

 private:
  std::time_t now_;
  std::string cluster_id_{};
  TestKey root_key_;
  X509* root_ = nullptr;
  std::string root_pem_{};
};

}  // namespace orcastra::testing
