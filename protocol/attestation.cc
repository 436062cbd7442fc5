#include "protocol/attestation.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <optional>
#include <vector>

#include "common/strings.h"
#include "common/utf8.h"

namespace orcastra::protocol {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct StoreFree {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* ctx) const { X509_STORE_CTX_free(ctx); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Cert = std::unique_ptr<X509, X509Free>;

// Every certificate in `pem`, at most `max_certs`; ParseError when there is none, more, or one
// that does not parse (`what` names the field).
Result<std::vector<Cert>> ReadCerts(std::string_view pem, std::size_t max_certs,
                                    const std::string& what) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Status::Internal("out of memory reading " + what);
  std::vector<Cert> certs;
  while (true) {
    ERR_set_mark();
    Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      ERR_pop_to_mark();
      break;
    }
    ERR_clear_last_mark();
    if (certs.size() == max_certs) {
      return Status::ParseError(what + ": more than " + std::to_string(max_certs) +
                                " certificates");
    }
    certs.push_back(std::move(cert));
  }
  if (certs.empty()) return Status::ParseError(what + ": no PEM certificate in it");
  return certs;
}

// The one value of `nid` in `name`; nullopt when there is none or more than one.
std::optional<std::string> OnlyEntry(X509_NAME* name, int nid) {
  if (name == nullptr) return std::nullopt;
  const int first = X509_NAME_get_index_by_NID(name, nid, -1);
  if (first < 0 || X509_NAME_get_index_by_NID(name, nid, first) >= 0) return std::nullopt;
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, first));
  if (data == nullptr) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<std::size_t>(ASN1_STRING_length(data)));
}

// Names in error messages come from a peer: printable and short.
std::string Shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return Quote(out);
}

Status Denied(const std::string& why) {
  return Status::PermissionDenied("attestation refused: " + why);
}

bool IsHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
           &size) == nullptr) {
    return Status::Internal("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(out), size);
}

// A base64 body (whitespace ignored) as bytes; nullopt when it is not base64.
std::optional<std::string> Base64Decode(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    clean += c;
  }
  if (clean.empty() || clean.size() % 4 != 0) return std::nullopt;
  std::string out(clean.size() / 4 * 3, '\0');
  const int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                   reinterpret_cast<const unsigned char*>(clean.data()),
                                   static_cast<int>(clean.size()));
  OPENSSL_cleanse(clean.data(), clean.size());
  if (size < 0) return std::nullopt;
  std::size_t padding = 0;
  if (clean.back() == '=') ++padding;
  if (clean.size() >= 2 && clean[clean.size() - 2] == '=') ++padding;
  out.resize(static_cast<std::size_t>(size) - padding);
  return out;
}

}  // namespace

void NodeKey::Free::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
NodeKey::NodeKey(EVP_PKEY* key) : key_(key) {}

std::string CanonicalBytes(std::string_view method, std::string_view node_id, std::int64_t ts_ms,
                           std::string_view nonce, std::string_view leader_key,
                           std::string_view agent_key) {
  std::string out = "orcastra-attestation/v1\n";
  const std::string ts = std::to_string(ts_ms);
  for (std::string_view field :
       {method, node_id, std::string_view(ts), nonce, leader_key, agent_key}) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
    out += '\n';
  }
  return out;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

std::optional<std::string> Unhex(std::string_view hex) {
  if (hex.size() % 2 != 0 || !IsHex(hex)) return std::nullopt;
  auto digit = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out += static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1]));
  }
  return out;
}

Result<NodeKey> ParseSwarmNodeKey(std::string_view pem) {
  const std::string_view kBegin = "-----BEGIN ";
  const std::size_t begin = pem.find(kBegin);
  if (begin == std::string_view::npos) {
    return Status::ParseError("not a PEM private key (no -----BEGIN line)");
  }
  const std::size_t label_start = begin + kBegin.size();
  const std::size_t label_end = pem.find("-----", label_start);
  if (label_end == std::string_view::npos) return Status::ParseError("broken PEM BEGIN line");
  const std::string label(pem.substr(label_start, label_end - label_start));
  if (label == "ENCRYPTED PRIVATE KEY") {
    return Status::Unsupported(
        "the node's key is encrypted (the swarm is autolocked); it cannot sign");
  }
  if (label != "PRIVATE KEY" && label != "EC PRIVATE KEY") {
    return Status::ParseError("PEM block '" + label.substr(0, 40) + "' is not a private key");
  }
  const std::string end_line = "-----END " + label + "-----";
  const std::size_t body_start = pem.find('\n', label_end);
  const std::size_t end = pem.find(end_line, label_end);
  if (body_start == std::string_view::npos || end == std::string_view::npos || end < body_start) {
    return Status::ParseError("PEM block without its END line");
  }
  // Skip header lines ("Name: value"), swarmkit's and RFC 1421's; the base64 body follows.
  std::string_view rest = pem.substr(body_start + 1, end - body_start - 1);
  std::string body;
  std::size_t pos = 0;
  while (pos < rest.size()) {
    std::size_t eol = rest.find('\n', pos);
    if (eol == std::string_view::npos) eol = rest.size();
    std::string_view line = rest.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.find(':') != std::string_view::npos) {
      if (line.rfind("Proc-Type:", 0) == 0 && line.find("ENCRYPTED") != std::string_view::npos) {
        return Status::Unsupported(
            "the node's key is encrypted (Proc-Type ENCRYPTED); it cannot "
            "sign");
      }
      continue;
    }
    body += line;
    body += '\n';
  }
  std::optional<std::string> der = Base64Decode(body);
  OPENSSL_cleanse(body.data(), body.size());
  if (!der) return Status::ParseError("the key's PEM body is not base64");
  const unsigned char* cursor = reinterpret_cast<const unsigned char*>(der->data());
  EVP_PKEY* key = d2i_AutoPrivateKey(nullptr, &cursor, static_cast<long>(der->size()));
  OPENSSL_cleanse(der->data(), der->size());
  ERR_clear_error();
  if (key == nullptr) return Status::ParseError("the PEM body is not a private key OpenSSL reads");
  return NodeKey(key);
}

Result<Attestation> MakeCertAttestation(const AttestationInput& input, std::string cert_pem,
                                        const NodeKey& key) {
  if (!key.ok()) return Status::InvalidArgument("no node key");
  auto certs = ReadCerts(cert_pem, kMaxAttestationCerts, "the node certificate");
  if (!certs.ok()) return certs.status();
  if (X509_check_private_key(certs->front().get(), key.get()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument(
        "the node's key does not belong to its certificate (renewed between the two reads?)");
  }
  Attestation out;
  out.method = kAttestSwarmCert;
  out.cert_pem = std::move(cert_pem);
  out.ts_ms = input.ts_ms;
  out.nonce = input.nonce;
  out.leader_key = input.leader_key;
  out.agent_key = input.agent_key;
  const std::string data = CanonicalBytes(out.method, input.node_id, out.ts_ms, out.nonce,
                                          out.leader_key, out.agent_key);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    ERR_clear_error();
    return Status::Internal("cannot sign with the node's key");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    ERR_clear_error();
    return Status::Internal("cannot sign with the node's key");
  }
  signature.resize(size);
  out.signature = Hex(signature);
  return out;
}

Result<Attestation> MakeTokenAttestation(const AttestationInput& input,
                                         std::string_view manager_token) {
  if (manager_token.empty()) return Status::InvalidArgument("no manager join token");
  Attestation out;
  out.method = kAttestManagerToken;
  out.ts_ms = input.ts_ms;
  out.nonce = input.nonce;
  out.leader_key = input.leader_key;
  out.agent_key = input.agent_key;
  auto mac = HmacSha256(manager_token, CanonicalBytes(out.method, input.node_id, out.ts_ms,
                                                      out.nonce, out.leader_key, out.agent_key));
  if (!mac.ok()) return mac.status();
  out.signature = Hex(*mac);
  return out;
}

Attestation NoAttestation(std::string why) {
  Attestation out;
  if (why.size() > kMaxAttestationErrorBytes) why.resize(kMaxAttestationErrorBytes);
  out.error = std::move(why);
  return out;
}

namespace {

Result<AttestedIdentity> Verify(const Attestation& a, const AttestationCheck& check,
                                const SwarmTrust& trust) {
  if (a.method.empty()) {
    return Denied(a.error.empty() ? std::string("the hello carries no attestation")
                                  : "the agent could not attest: " +
                                        CutText(a.error, kMaxAttestationErrorBytes));
  }
  if (a.method != kAttestSwarmCert && a.method != kAttestManagerToken) {
    return Status::ParseError("attestation.method " + Shown(a.method) +
                              ": expected swarm-cert or manager-token");
  }
  if (a.nonce.size() != kAttestationNonceHex || !IsHex(a.nonce)) {
    return Status::ParseError("attestation.nonce: expected " +
                              std::to_string(kAttestationNonceHex) + " hex digits");
  }
  if (a.signature.empty() || a.signature.size() > kMaxAttestationSignatureHex) {
    return Status::ParseError("attestation.signature: expected 1 to " +
                              std::to_string(kMaxAttestationSignatureHex) + " hex digits");
  }
  std::optional<std::string> signature = Unhex(a.signature);
  if (!signature) return Status::ParseError("attestation.signature: not hex");
  if (a.cert_pem.size() > kMaxAttestationCertBytes) {
    return Status::ParseError("attestation.cert_pem: over " +
                              std::to_string(kMaxAttestationCertBytes) + " bytes");
  }
  if (!trust.ok()) {
    return Status::Unavailable(
        "this leader instance has not read the swarm's CA yet (GET /swarm); say hello again");
  }
  // Made for this leader, and for the key this connection authenticated with.
  bool ours = false;
  for (const std::string& key : check.leader_public_keys) ours = ours || key == a.leader_key;
  if (!ours) return Denied("it was made for another leader key");
  if (!check.agent_public_key.empty() && a.agent_key != check.agent_public_key) {
    return Denied("it was made for another agent key than the connection's");
  }
  // The peer's ts_ms is any int64: the distance is taken in uint64, which holds the difference of
  // any two int64 exactly (a signed subtraction overflows).
  const auto limit_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(kMaxAttestationSkew).count());
  const bool ahead = a.ts_ms > check.now_ms;
  const auto now = static_cast<std::uint64_t>(check.now_ms);
  const auto ts = static_cast<std::uint64_t>(a.ts_ms);
  const std::uint64_t distance_ms = ahead ? ts - now : now - ts;
  if (distance_ms > limit_ms) {
    return Denied("its timestamp is " + std::to_string(distance_ms / 1000) + " s " +
                  (ahead ? "ahead of" : "behind") + " this leader's clock (at most " +
                  std::to_string(limit_ms / 1000) + " s)");
  }
  const std::string data =
      CanonicalBytes(a.method, check.claimed_node_id, a.ts_ms, a.nonce, a.leader_key, a.agent_key);

  if (a.method == kAttestManagerToken) {
    if (!check.claimed_node_is_manager) {
      return Denied("manager-token for node " + Shown(check.claimed_node_id) +
                    ", which Swarm does not list as a manager");
    }
    if (trust.manager_token.empty()) {
      return Status::Unavailable("this leader instance does not know the manager join token yet");
    }
    auto mac = HmacSha256(trust.manager_token, data);
    if (!mac.ok()) return mac.status();
    if (mac->size() != signature->size() ||
        CRYPTO_memcmp(mac->data(), signature->data(), mac->size()) != 0) {
      return Denied("the manager-token proof is wrong (not made with this swarm's manager token)");
    }
    return AttestedIdentity{check.claimed_node_id, a.method, "manager"};
  }

  auto chain = ReadCerts(a.cert_pem, kMaxAttestationCerts, "attestation.cert_pem");
  if (!chain.ok()) return chain.status();
  auto roots = ReadCerts(trust.trust_root_pem, 16, "the swarm's TrustRoot");
  if (!roots.ok()) return roots.status();
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) return Status::Internal("out of memory verifying");
  for (const Cert& root : *roots) X509_STORE_add_cert(store.get(), root.get());
  for (std::size_t i = 1; i < chain->size(); ++i) sk_X509_push(untrusted.get(), (*chain)[i].get());
  X509* leaf = chain->front().get();
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) != 1) {
    ERR_clear_error();
    return Status::Internal("cannot set up certificate verification");
  }
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()),
                             static_cast<time_t>(check.now_ms / 1000));
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return Denied(std::string("the certificate does not verify against the swarm's CA: ") +
                  X509_verify_cert_error_string(error));
  }
  X509_NAME* subject = X509_get_subject_name(leaf);
  std::optional<std::string> cn = OnlyEntry(subject, NID_commonName);
  std::optional<std::string> org = OnlyEntry(subject, NID_organizationName);
  std::optional<std::string> unit = OnlyEntry(subject, NID_organizationalUnitName);
  if (!cn || *cn != check.claimed_node_id) {
    return Denied("the certificate is for node " + (cn ? Shown(*cn) : std::string("(no CN)")) +
                  ", not the claimed " + Shown(check.claimed_node_id));
  }
  if (!org || *org != trust.cluster_id) {
    return Denied("the certificate is of another swarm (O " +
                  (org ? Shown(*org) : std::string("(none)")) + ")");
  }
  if (!unit || (*unit != "swarm-worker" && *unit != "swarm-manager")) {
    return Denied("the certificate's OU " + (unit ? Shown(*unit) : std::string("(none)")) +
                  " is not swarm-worker or swarm-manager");
  }
  EVP_PKEY* public_key = X509_get0_pubkey(leaf);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  if (public_key == nullptr || !md ||
      EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, public_key) != 1) {
    ERR_clear_error();
    return Denied("the certificate's key cannot verify signatures");
  }
  const int verified = EVP_DigestVerify(
      md.get(), reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
      reinterpret_cast<const unsigned char*>(data.data()), data.size());
  ERR_clear_error();
  if (verified != 1) return Denied("the signature does not verify with the certificate's key");
  return AttestedIdentity{check.claimed_node_id, a.method,
                          *unit == "swarm-manager" ? "manager" : "worker"};
}

}  // namespace

Result<AttestedIdentity> VerifyAttestation(const Attestation& a, const AttestationCheck& check,
                                           const SwarmTrust& trust) {
  auto result = Verify(a, check, trust);
  // A refusal quotes the peer's text (its error, method, certificate names), which ends up in logs
  // and events: the manager token, whoever sent it, never does.
  const std::string& token = trust.manager_token;
  if (result.ok() || token.empty()) return result;
  std::string message = result.status().message();
  constexpr std::string_view kShown = "<manager token>";
  for (auto at = message.find(token); at != std::string::npos;
       at = message.find(token, at + kShown.size())) {
    message.replace(at, token.size(), kShown);
  }
  return result.status().WithMessage(std::move(message));
}

Result<std::string> NewNonce() {
  unsigned char bytes[kAttestationNonceHex / 2];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    ERR_clear_error();
    return Status::Internal("no random bytes for a nonce");
  }
  return Hex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

}  // namespace orcastra::protocol
