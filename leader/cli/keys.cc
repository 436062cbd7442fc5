#include "leader/cli/keys.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/files.h"
#include "protocol/keys.h"

namespace orcastra::leader {
namespace {

using protocol::KeyFile;

constexpr char kSecretNote[] =
    "Secret: keep this file 0600 (0400 as a Docker secret) and never share it (doc/security.md).";

std::string Join(const std::string& dir, const std::string& name) { return dir + "/" + name; }

bool Exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

Status MakeDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return Status::Ok();
  if (errno == EEXIST) {
    struct stat info {};
    if (::stat(dir.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) return Status::Ok();
    return Status::InvalidArgument("'" + dir + "' exists and is not a directory");
  }
  return IoFailure("cannot create the directory", dir, errno);
}

// The leading comment lines of a file's text, without their "# ".
std::string LeadingComment(const std::string& text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size() && text[pos] == '#') {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos + 1, end - pos - 1);
    if (!line.empty() && line.front() == ' ') line.erase(0, 1);
    out += (out.empty() ? "" : "\n") + line;
    pos = end + 1;
  }
  return out;
}

// The client key files in `dir`: every *.key but the leader's own.
Result<std::vector<std::string>> ClientKeyFiles(const std::string& dir) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return IoFailure("cannot list", dir, errno);
  std::vector<std::string> out;
  while (dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (name.size() < 5 || name.compare(name.size() - 4, 4, ".key") != 0) continue;
    if (name.rfind("leader", 0) == 0) continue;
    out.push_back(Join(dir, name));
  }
  ::closedir(handle);
  std::sort(out.begin(), out.end());
  return out;
}

// Rewrites the client key file `path` to trust `leaders`, keeping its comment.
Status Retrust(const std::string& path, const std::vector<std::string>& leaders) {
  auto text = ReadFileBounded(path, protocol::kMaxKeyFileBytes);
  if (!text.ok()) return text.status();
  auto key = protocol::ParseKeyFile(*text, path, /*require_secret=*/false);
  if (!key.ok()) return key.status();
  key->leader_public_keys = leaders;
  return WriteFileAtomic(path, protocol::FormatKeyFile(*key, LeadingComment(*text)), 0600);
}

// The public key of the leader key file `path`.
Result<std::string> LeaderPublic(const std::string& path) {
  auto key = protocol::LoadKeyFile(path, /*require_secret=*/false);
  if (!key.ok()) return key.status();
  return key->public_key;
}

int Fail(std::ostream& err, const std::string& what, const Status& why) {
  err << "orcastra keys " << what << ": " << why.message() << "\n";
  return 1;
}

int Init(const std::string& dir, std::ostream& out, std::ostream& err) {
  const std::vector<std::string> names = {"leader.key",   "leader.pub",    "agent.key",
                                          "operator.key", "read-only.key", "clients"};
  std::vector<std::string> present;
  for (const auto& name : names) {
    if (Exists(Join(dir, name))) present.push_back(Join(dir, name));
  }
  if (!present.empty()) {
    std::string list;
    for (const auto& p : present) list += (list.empty() ? "" : ", ") + p;
    return Fail(err, "init",
                Status::InvalidArgument("keys exist already (" + list +
                                        "); nothing is overwritten. Rotate with `orcastra keys "
                                        "rotate-leader` and `keys new` (doc/security.md)"));
  }
  if (Status made = MakeDir(dir); !made.ok()) return Fail(err, "init", made);
  auto leader = protocol::NewKeyPair();
  auto agent = protocol::NewKeyPair();
  auto op = protocol::NewKeyPair();
  auto reader = protocol::NewKeyPair();
  for (const auto* pair : {&leader, &agent, &op, &reader}) {
    if (!pair->ok()) return Fail(err, "init", pair->status());
  }
  for (KeyFile* client : {&*agent, &*op, &*reader}) {
    client->leader_public_keys = {leader->public_key};
  }
  KeyFile leader_public{leader->public_key, "", {}};
  protocol::KeySet clients;
  clients.clients = {{protocol::Role::kAgent, agent->public_key, "agents", 0},
                     {protocol::Role::kOperator, op->public_key, "operator", 0},
                     {protocol::Role::kReadOnly, reader->public_key, "read-only", 0}};
  struct File {
    std::string name;
    std::string content;
    mode_t mode;
  };
  const std::vector<File> files = {
      {"leader.key",
       protocol::FormatKeyFile(*leader,
                               "Orcastra leader key pair: the leader service's Docker "
                               "secret (target orcastra-leader.key).\n" +
                                   std::string(kSecretNote)),
       0600},
      {"leader.pub",
       protocol::FormatKeyFile(leader_public,
                               "Orcastra leader public key: the key agents and CLIs trust "
                               "(leader-public-key). Not secret."),
       0644},
      {"agent.key",
       protocol::FormatKeyFile(*agent,
                               "Orcastra agent key, shared by every agent: the agent "
                               "service's Docker secret (target orcastra-agent.key).\n" +
                                   std::string(kSecretNote)),
       0600},
      {"operator.key",
       protocol::FormatKeyFile(*op,
                               "Orcastra operator key: the CLI with every right (commands, "
                               "logs). Install as ~/.config/orcastra/client.key.\n" +
                                   std::string(kSecretNote)),
       0600},
      {"read-only.key",
       protocol::FormatKeyFile(*reader,
                               "Orcastra read-only key: the CLI for status, nodes, "
                               "events, anchors, services and plan.\n" +
                                   std::string(kSecretNote)),
       0600},
      {"clients",
       protocol::FormatClientsFile(
           clients,
           "Orcastra clients file: the keys the leader admits, one per line: ROLE KEY NAME\n"
           "(roles: agent, operator, read-only). The leader service's Docker secret (target\n"
           "orcastra-clients). Public keys only; add a key before removing the one it replaces."),
       0644},
  };
  for (const File& file : files) {
    if (Status written = protocol::WriteNewFile(Join(dir, file.name), file.content, file.mode);
        !written.ok()) {
      return Fail(err, "init", written);
    }
  }
  out << "wrote leader.key, leader.pub, agent.key, operator.key, read-only.key and clients in "
      << dir << "\n";
  return 0;
}

int New(const std::string& name, const std::string& role_text, const std::string& dir,
        std::ostream& out, std::ostream& err) {
  std::optional<protocol::Role> role = protocol::ParseRole(role_text);
  if (!role) {
    err << "orcastra keys new: unknown role '" << role_text << "' (agent, operator, read-only)\n";
    return 2;
  }
  const std::string clients_path = Join(dir, "clients");
  auto clients_text = ReadFileBounded(clients_path, protocol::kMaxClientsFileBytes);
  if (!clients_text.ok()) return Fail(err, "new", clients_text.status());
  auto clients = protocol::ParseClientsFile(*clients_text, clients_path);
  if (!clients.ok()) return Fail(err, "new", clients.status());
  if (clients->FindByName(name) != nullptr) {
    return Fail(
        err, "new",
        Status::InvalidArgument("the name '" + name + "' is in " + clients_path + " already"));
  }
  std::vector<std::string> leaders;
  for (const char* file : {"leader.key", "leader.next.key"}) {
    if (!Exists(Join(dir, file))) continue;
    auto pub = LeaderPublic(Join(dir, file));
    if (!pub.ok()) return Fail(err, "new", pub.status());
    leaders.push_back(*pub);
  }
  if (leaders.empty()) {
    return Fail(err, "new", Status::NotFound("no leader.key in " + dir));
  }
  auto pair = protocol::NewKeyPair();
  if (!pair.ok()) return Fail(err, "new", pair.status());
  pair->leader_public_keys = leaders;
  // The line is checked by parsing the whole file with it before anything is written.
  std::string added = *clients_text;
  if (!added.empty() && added.back() != '\n') added += '\n';
  std::string role_column(protocol::RoleName(*role));
  role_column.resize(10, ' ');
  added += role_column + pair->public_key + "  " + name + "\n";
  if (auto check = protocol::ParseClientsFile(added, clients_path); !check.ok()) {
    return Fail(err, "new", check.status());
  }
  const std::string key_path = Join(dir, name + ".key");
  if (Status written = protocol::WriteNewFile(
          key_path,
          protocol::FormatKeyFile(*pair, "Orcastra " + std::string(protocol::RoleName(*role)) +
                                             " key '" + name + "'.\n" + kSecretNote),
          0600);
      !written.ok()) {
    return Fail(err, "new", written);
  }
  if (Status written = WriteFileAtomic(clients_path, added, 0644); !written.ok()) {
    return Fail(err, "new", written);
  }
  out << "wrote " << key_path << " and added '" << name << "' (" << protocol::RoleName(*role)
      << ") to " << clients_path
      << "; give the leader service the new clients file (doc/security.md)\n";
  return 0;
}

int RotateLeader(const std::string& dir, std::ostream& out, std::ostream& err) {
  const std::string next_path = Join(dir, "leader.next.key");
  if (Exists(next_path)) {
    return Fail(err, "rotate-leader",
                Status::InvalidArgument("a rotation is under way (" + next_path +
                                        " exists): finish it with `orcastra keys "
                                        "finish-rotation`"));
  }
  auto current = LeaderPublic(Join(dir, "leader.key"));
  if (!current.ok()) return Fail(err, "rotate-leader", current.status());
  auto files = ClientKeyFiles(dir);
  if (!files.ok()) return Fail(err, "rotate-leader", files.status());
  auto next = protocol::NewKeyPair();
  if (!next.ok()) return Fail(err, "rotate-leader", next.status());
  if (Status written = protocol::WriteNewFile(
          next_path,
          protocol::FormatKeyFile(*next,
                                  "Orcastra leader key pair, the next one (rotation under "
                                  "way).\n" +
                                      std::string(kSecretNote)),
          0600);
      !written.ok()) {
    return Fail(err, "rotate-leader", written);
  }
  (void)protocol::WriteNewFile(Join(dir, "leader.next.pub"),
                               protocol::FormatKeyFile(KeyFile{next->public_key, "", {}},
                                                       "Orcastra leader public key, the next "
                                                       "one. Not secret."),
                               0644);
  for (const std::string& path : *files) {
    if (Status trusted = Retrust(path, {*current, next->public_key}); !trusted.ok()) {
      return Fail(err, "rotate-leader", trusted);
    }
    out << "  " << path << " trusts the current and the next leader key\n";
  }
  out << "wrote " << next_path
      << ". Next: give the agents their new agent.key and the CLIs their new keys, then the "
         "leaders leader.next.key (new Docker secrets; doc/security.md), then run `orcastra "
         "keys finish-rotation`\n";
  return 0;
}

int FinishRotation(const std::string& dir, std::ostream& out, std::ostream& err) {
  const std::string next_path = Join(dir, "leader.next.key");
  auto next = LeaderPublic(next_path);
  if (!next.ok()) return Fail(err, "finish-rotation", next.status());
  auto files = ClientKeyFiles(dir);
  if (!files.ok()) return Fail(err, "finish-rotation", files.status());
  for (const std::string& path : *files) {
    if (Status trusted = Retrust(path, {*next}); !trusted.ok()) {
      return Fail(err, "finish-rotation", trusted);
    }
  }
  const std::pair<const char*, const char*> moves[] = {{"leader.key", "leader.old.key"},
                                                       {"leader.pub", "leader.old.pub"},
                                                       {"leader.next.key", "leader.key"},
                                                       {"leader.next.pub", "leader.pub"}};
  for (const auto& [from, to] : moves) {
    if (!Exists(Join(dir, from))) continue;
    if (std::rename(Join(dir, from).c_str(), Join(dir, to).c_str()) != 0) {
      return Fail(err, "finish-rotation", IoFailure("cannot rename", Join(dir, from), errno));
    }
  }
  out << "leader.key is the new leader key (the old one is leader.old.key); every client key "
         "file in "
      << dir << " trusts only it. Give the agents and CLIs their keys again (doc/security.md)\n";
  return 0;
}

int Show(const std::string& path, std::ostream& out, std::ostream& err) {
  auto text = ReadFileBounded(path, protocol::kMaxClientsFileBytes);
  if (!text.ok()) return Fail(err, "show", text.status());
  auto key = protocol::ParseKeyFile(*text, path, /*require_secret=*/false);
  if (key.ok()) {
    out << "key file " << path << "\n  public-key " << key->public_key << "\n  secret-key "
        << (key->secret_key.empty() ? "none (a public key only)" : "present (not shown)") << "\n";
    for (std::size_t i = 0; i < key->leader_public_keys.size(); ++i) {
      out << "  leader-public-key " << (i + 1) << " " << key->leader_public_keys[i] << "\n";
    }
    return 0;
  }
  auto clients = protocol::ParseClientsFile(*text, path);
  if (clients.ok()) {
    out << "clients file " << path << ": " << clients->clients.size() << " key(s)\n";
    for (const auto& client : clients->clients) {
      out << "  " << protocol::RoleName(client.role) << " " << client.name << " "
          << client.public_key << "\n";
    }
    return 0;
  }
  // Say the error of what the file looks like it is meant to be.
  const bool looks_like_clients =
      path.size() >= 7 && path.compare(path.size() - 7, 7, "clients") == 0;
  return Fail(err, "show", looks_like_clients ? clients.status() : key.status());
}

}  // namespace

int RunKeysCommand(const std::vector<std::string>& args, const EnvLookup& /*env*/,
                   std::ostream& out, std::ostream& err) {
  constexpr char kUsage[] =
      "usage: orcastra keys init [DIR]\n"
      "       orcastra keys new NAME --role agent|operator|read-only [DIR]\n"
      "       orcastra keys rotate-leader [DIR]\n"
      "       orcastra keys finish-rotation [DIR]\n"
      "       orcastra keys show FILE\n"
      "DIR defaults to /etc/orcastra/keys (doc/security.md)\n";
  if (args.empty()) {
    err << kUsage;
    return 2;
  }
  const std::string sub = args[0];
  auto flags = ParseFlags({args.begin() + 1, args.end()}, FlagSpec{{"role"}, {}});
  if (!flags.ok()) {
    err << "orcastra keys: " << flags.status().message() << "\n" << kUsage;
    return 2;
  }
  const auto& positional = flags->positional;
  auto dir_at = [&](std::size_t index) {
    return positional.size() > index ? positional[index] : std::string(kDefaultKeysDir);
  };
  if (sub == "init" && positional.size() <= 1 && !flags->Has("role")) {
    return Init(dir_at(0), out, err);
  }
  if (sub == "new" && !positional.empty() && positional.size() <= 2 && flags->Has("role")) {
    return New(positional[0], *flags->Get("role"), dir_at(1), out, err);
  }
  if (sub == "rotate-leader" && positional.size() <= 1 && !flags->Has("role")) {
    return RotateLeader(dir_at(0), out, err);
  }
  if (sub == "finish-rotation" && positional.size() <= 1 && !flags->Has("role")) {
    return FinishRotation(dir_at(0), out, err);
  }
  if (sub == "show" && positional.size() == 1 && !flags->Has("role")) {
    return Show(positional[0], out, err);
  }
  err << kUsage;
  return 2;
}

}  // namespace orcastra::leader
