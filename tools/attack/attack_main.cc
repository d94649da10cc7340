// hail-attack: attacks a running haild the way a stranger on the internet
// would, measures what happens on the wire and in the server, and checks
// that it holds (issue 10; RELIABILITY.md has the figures). Loopback only:
// it spoofs source addresses with a raw socket, so it needs root.
//
//   hail-attack --server 127.0.0.1:PORT --data-dir DIR [--full] [--json]
//               [amplification|flood|cookie-holders|malformed|tcp|guessing]
#include <enet/enet.h>
#include <fmt/format.h>
#include <sodium.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "tools/attack/scenarios.h"

namespace po = boost::program_options;
using namespace hail;

namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  std::string server_text, data_dir, work_dir;
  std::vector<std::string> names;
  bool full = false, json = false;
  uint64_t seed = 1;
  po::options_description options("hail-attack options");
  options.add_options()("help,h", "this text")(
      "server", po::value(&server_text)->required(),
      "haild's UDP address, 127.x.y.z:PORT (TCP: the same port)")(
      "data-dir", po::value(&data_dir)->required(),
      "haild's data directory (admin.sock for statistics, haild.lock for "
      "its pid)")("work-dir", po::value(&work_dir),
                  "where probe clients keep their state (default: a "
                  "temporary directory)")(
      "full", po::bool_switch(&full),
      "the long form (RELIABILITY.md): 1,000 requests per kind, 1,000,000 "
      "spoofed datagrams, 70 cookie holders, 100,000 malformed datagrams "
      "before and after login, 5,000 TCP connections, 80 password guessers")(
      "json", po::bool_switch(&json), "one JSON object per attack")(
      "seed", po::value(&seed)->default_value(1), "random seed")(
      "attack", po::value(&names), "attacks to run (default: all)");
  po::positional_options_description positional;
  positional.add("attack", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv)
                  .options(options)
                  .positional(positional)
                  .run(),
              vm);
    if (vm.count("help")) {
      std::cout << options
                << "\nattacks: amplification flood cookie-holders "
                   "malformed tcp guessing\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "hail-attack: " << e.what() << "\n";
    return 2;
  }
  std::optional<protocol::Endpoint> server =
      protocol::Endpoint::Parse(server_text);
  if (!server || (server->Ipv4HostOrder() >> 24) != 127) {
    std::cerr << "hail-attack: --server must be a 127.x.y.z:PORT address "
                 "(it spoofs sources: loopback only)\n";
    return 2;
  }
  if (sodium_init() < 0 || enet_initialize() != 0) return 1;
  Result<attack::Target> target = attack::Target::Find(*server, data_dir);
  if (!target.ok()) {
    std::cerr << "hail-attack: " << target.status().message() << "\n";
    return 1;
  }
  attack::Context context;
  context.target = &*target;
  context.seed = seed;
  if (full) {
    context.scale = attack::Scale{1000, 1'000'000, 70, 100'000, 5000, 80};
  }
  std::filesystem::path temp;
  if (work_dir.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "hail-attack-XXXXXX")
            .string();
    temp = mkdtemp(pattern.data());
    work_dir = temp.string();
  }
  context.work_dir = work_dir;
  if (names.empty()) {
    names = {"amplification", "flood", "cookie-holders",
             "malformed",     "tcp",   "guessing"};
  }
  int failed = 0;
  for (const std::string& name : names) {
    attack::Report report;
    if (name == "amplification") {
      report = attack::Amplification(context);
    } else if (name == "flood") {
      report = attack::SpoofedFlood(context);
    } else if (name == "cookie-holders") {
      report = attack::CookieHolders(context);
    } else if (name == "malformed") {
      report = attack::MalformedDatagrams(context);
    } else if (name == "tcp") {
      report = attack::MalformedTcp(context);
    } else if (name == "guessing") {
      report = attack::PasswordGuessing(context);
    } else {
      std::cerr << "hail-attack: unknown attack " << name << "\n";
      return 2;
    }
    if (!report.failures.empty()) ++failed;
    if (json) {
      std::string line = "{\"attack\":" + JsonString(report.name) + ",\"ok\":" +
                         (report.failures.empty() ? "true" : "false");
      for (const auto& [key, value] : report.figures) {
        line += "," + JsonString(key) + ":" + JsonString(value);
      }
      line += ",\"failures\":[";
      for (size_t i = 0; i < report.failures.size(); ++i) {
        line += (i ? "," : "") + JsonString(report.failures[i]);
      }
      std::cout << line << "]}" << std::endl;
    } else {
      std::cout << "== " << report.name
                << (report.failures.empty() ? ": held" : ": FAILED") << "\n";
      for (const auto& [key, value] : report.figures) {
        std::cout << "  " << key << ": " << value << "\n";
      }
      for (const std::string& f : report.failures) {
        std::cout << "  FAIL: " << f << "\n";
      }
      std::cout << std::flush;
    }
  }
  if (!temp.empty()) std::filesystem::remove_all(temp);
  return failed == 0 ? 0 : 1;
}
