// hail-conform: checks a Hail server against the rules of SPEC.md, one line
// per rule, or plays a scripted server for a client implementation
// (--client). See README.md "Conformance".
#include <fmt/format.h>
#include <signal.h>
#include <sodium.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "client/server_address.h"
#include "tools/conform/client_mode.h"
#include "tools/conform/report.h"
#include "tools/conform/rule.h"

namespace po = boost::program_options;
using hail::conform::Outcome;
using hail::conform::Rule;

namespace {

// "6.7" < "6.10" < "10.1": numeric, part by part.
bool SectionLess(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& s) {
    std::vector<int> out;
    size_t start = 0;
    while (start <= s.size()) {
      size_t dot = s.find('.', start);
      if (dot == std::string::npos) dot = s.size();
      out.push_back(std::atoi(s.substr(start, dot - start).c_str()));
      start = dot + 1;
    }
    return out;
  };
  return parts(a) < parts(b);
}

// "8" selects 8 and 8.x; "8.3" selects 8.3 and 8.3.x.
bool InSection(const std::string& section, const std::string& wanted) {
  return section == wanted || section.rfind(wanted + ".", 0) == 0;
}

std::string RunTag() {
  static const char kDigits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string tag;
  for (int i = 0; i < 5; ++i) tag += kDigits[randombytes_uniform(36)];
  return tag;
}

}  // namespace

int main(int argc, char** argv) {
  std::string server_text;
  std::vector<std::string> sections;
  std::vector<std::string> ids;
  std::string sources_text;
  uint16_t tcp_port = 0;
  int timeout_ms = 5000;
  bool json = false;
  bool list = false;
  std::string client_listen;
  int client_total_ms = 120000;
  po::options_description options(
      "usage: hail-conform HOST:PORT [options]\n"
      "       hail-conform --client HOST:PORT [options]\noptions");
  options.add_options()("help,h", "this text")(
      "json", po::bool_switch(&json), "one JSON document instead of lines")(
      "section", po::value(&sections),
      "only rules of this SPEC.md section (8 or 8.3; repeatable)")(
      "rule", po::value(&ids), "only the rule with this id (repeatable)")(
      "list", po::bool_switch(&list), "list the rules, run nothing")(
      "tcp-port", po::value(&tcp_port),
      "the server's TCP fallback port (default: the UDP port)")(
      "timeout-ms", po::value(&timeout_ms)->default_value(5000),
      "how long to wait for each answer")(
      "source-hosts", po::value(&sources_text),
      "comma-separated local addresses to spread the test accounts over "
      "(default for a 127.x target: 127.0.1.1..127.0.1.40)")(
      "client", po::value(&client_listen),
      "play a scripted server on HOST:PORT for a client under test, "
      "which connects to it three times")(
      "client-time-ms", po::value(&client_total_ms)->default_value(120000),
      "how long --client waits for the three connections");
  po::options_description hidden;
  hidden.add_options()("server", po::value(&server_text));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("server", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv)
                  .options(all)
                  .positional(positional)
                  .run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "hail-conform: " << e.what() << "\n" << options;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  if (sodium_init() < 0) {
    std::cerr << "hail-conform: libsodium failed to start\n";
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  if (!client_listen.empty()) {
    return hail::conform::RunClientMode(client_listen, json, timeout_ms,
                                        client_total_ms);
  }

  std::vector<const Rule*> selected;
  for (const Rule& rule : hail::conform::Rules()) {
    bool wanted = sections.empty() && ids.empty();
    for (const std::string& s : sections) wanted |= InSection(rule.section, s);
    for (const std::string& id : ids) wanted |= rule.id == id;
    if (wanted) selected.push_back(&rule);
  }
  std::stable_sort(selected.begin(), selected.end(),
                   [](const Rule* a, const Rule* b) {
                     return SectionLess(a->section, b->section);
                   });
  if (list) {
    for (const Rule* rule : selected) {
      std::cout << fmt::format("{:<7} {:<44} {}\n", rule->section, rule->id,
                               rule->text);
    }
    return 0;
  }
  if (server_text.empty()) {
    std::cerr << "hail-conform: which server? (HOST:PORT)\n" << options;
    return 2;
  }
  auto address = hail::client::ParseServerAddress(server_text);
  if (!address.ok()) {
    std::cerr << "hail-conform: " << address.status().message() << "\n";
    return 2;
  }
  hail::conform::Target target;
  target.host = address->host;
  target.port = address->port;
  target.tcp_port = tcp_port;
  target.timeout_ms = timeout_ms;
  std::vector<std::string> sources;
  if (!sources_text.empty()) {
    size_t start = 0;
    while (start <= sources_text.size()) {
      size_t comma = sources_text.find(',', start);
      if (comma == std::string::npos) comma = sources_text.size();
      if (comma > start)
        sources.push_back(sources_text.substr(start, comma - start));
      start = comma + 1;
    }
  } else if (target.host.rfind("127.", 0) == 0 || target.host == "localhost") {
    for (int i = 1; i <= 40; ++i)
      sources.push_back(fmt::format("127.0.1.{}", i));
  }
  hail::conform::Context context(target, sources, RunTag());

  hail::conform::Report report(server_text, json);
  for (const Rule* rule : selected) {
    const auto started = std::chrono::steady_clock::now();
    Outcome outcome;
    try {
      outcome = rule->check(context);
    } catch (const std::exception& e) {
      outcome = hail::conform::Fail("the rule stopped: {}", e.what());
    }
    const long ms =
        static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count());
    report.Add(rule->section, rule->id, rule->text, outcome, ms);
  }
  return report.Finish();
}
