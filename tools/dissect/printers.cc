#include "tools/dissect/printers.h"

#include <cinttypes>
#include <cstdio>

#include "tools/dissect/escape.h"

namespace hail::dissect {
namespace {

namespace enet_wire = protocol::enet_wire;
using enet_wire::CommandType;

// Longest field value shown on a one-line summary.
constexpr size_t kLineValueLimit = 48;

std::string Hex(uint64_t value, int digits) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%0*" PRIx64, digits, value);
  return text;
}

std::string FieldValue(const protocol::PrintedField& field,
                       const PrintOptions& options) {
  if (field.secret && !options.show_secrets) {
    return std::string(kSecretPlaceholder);
  }
  return field.value;
}

std::string ShortValue(const protocol::PrintedField& field,
                       const PrintOptions& options) {
  std::string value = FieldValue(field, options);
  bool cut = value.size() > kLineValueLimit;
  if (cut) {
    // Cut on a UTF-8 boundary; EscapeText would show a split sequence as
    // \xNN otherwise.
    size_t end = kLineValueLimit;
    while (end > 0 && (static_cast<uint8_t>(value[end]) & 0xc0) == 0x80) --end;
    value.resize(end);
  }
  std::string out = EscapeText(value);
  if (cut) out += "...(" + std::to_string(field.value.size()) + " bytes)";
  return out;
}

std::string HailSummary(const HailFrame& hail, const PrintOptions& options) {
  std::string out;
  if (hail.kind.empty()) {
    out = hail.sealed ? "SEALED" : "PLAIN";
    if (hail.counter) out += " counter=" + std::to_string(*hail.counter);
    out += " len=" + std::to_string(hail.length);
    return out;
  }
  out = EscapeText(hail.kind);
  for (const protocol::PrintedField& field : hail.fields) {
    out += " " + EscapeText(field.name) + "=" + ShortValue(field, options);
  }
  if (hail.sealed) out += " (SEALED #" + std::to_string(*hail.counter) + ")";
  return out;
}

std::string CommandSummary(const EnetCommandView& view) {
  const enet_wire::Command& c = view.command;
  std::string out(enet_wire::CommandName(c.type));
  if (c.channel_id != 0xff) out += " ch" + std::to_string(c.channel_id);
  switch (c.type) {
    case CommandType::kAcknowledge:
      out += " seq=" + std::to_string(c.received_reliable_sequence_number);
      break;
    case CommandType::kConnect:
    case CommandType::kVerifyConnect:
      out += " connect_id=" + Hex(c.connect_id, 8);
      break;
    default:
      if (c.acknowledge) {
        out += " seq=" + std::to_string(c.reliable_sequence_number);
      }
  }
  if (!view.note.empty()) out += " (" + view.note + ")";
  if (view.retransmission) out += " [retransmission]";
  return out;
}

std::string TcpSummary(const DatagramResult& result,
                       const PrintOptions& options) {
  const TcpView& tcp = *result.tcp;
  std::string out =
      " TCP [" + tcp.flags + "] seq=" + std::to_string(tcp.sequence);
  if (tcp.acknowledgment) out += " ack=" + std::to_string(*tcp.acknowledgment);
  out += " len=" + std::to_string(result.length);
  for (const std::string& note : tcp.notes) out += " (" + note + ")";
  for (size_t i = 0; i < tcp.records.size(); ++i) {
    const TcpRecordView& record = tcp.records[i];
    out += i == 0 ? " > " : " | ";
    if (!record.close_reason.empty()) {
      out += "CLOSE error=" + record.close_reason;
      continue;
    }
    out += "ch" + std::to_string(record.channel) + " ";
    bool shown = false;
    for (const HailFrame& hail : result.hail) {
      if (hail.command_index != i) continue;
      out += HailSummary(hail, options);
      shown = true;
    }
    if (!shown) out += "record len=" + std::to_string(record.length);
  }
  return out;
}

// The -V lines of one Hail frame, indented by `indent` spaces.
std::string HailTree(const HailFrame& hail, const PrintOptions& options,
                     size_t indent) {
  std::string pad(indent, ' ');
  std::string out =
      pad + "Hail frame: " + std::string(hail.sealed ? "SEALED" : "PLAIN") +
      ", channel " + std::to_string(hail.channel) + ", " +
      std::to_string(hail.length) + " bytes" +
      (hail.reassembled ? ", reassembled from fragments" : "") + "\n";
  if (hail.counter) {
    out += pad + "  counter: " + std::to_string(*hail.counter) + "\n";
    out += pad + "  decrypted: " + (hail.decrypted ? "yes" : "no") + "\n";
  }
  if (hail.kind_id) {
    out += pad + "  kind: " + EscapeText(hail.kind) + " (" +
           Hex(*hail.kind_id, 4) + ")\n";
  }
  for (const protocol::PrintedField& field : hail.fields) {
    out += pad + "  " + EscapeText(field.name) + ": " +
           EscapeText(FieldValue(field, options)) + "\n";
  }
  return out;
}

void AppendJsonFieldValue(std::string* out, const Field& field) {
  if (field.number) {
    *out += field.value;
  } else {
    *out += "\"" + JsonString(field.value) + "\"";
  }
}

}  // namespace

std::string FormatTime(int64_t seconds, int64_t microseconds) {
  char text[48];
  std::snprintf(text, sizeof text, "%" PRId64 ".%06" PRId64, seconds,
                microseconds);
  return text;
}

std::string FormatLine(const DatagramResult& result,
                       const PrintOptions& options) {
  std::string line = FormatTime(result.seconds, result.microseconds);
  if (!result.source.empty()) {
    line += " " + result.source + " -> " + result.destination;
  }
  switch (result.datagram_class) {
    case DatagramClass::kPresession: {
      line += " HAIL " + result.presession->type;
      for (const Field& f : result.presession->fields) {
        line += " " + f.name + "=" + EscapeText(f.value);
      }
      break;
    }
    case DatagramClass::kStun:
      line += " STUN";
      if (result.stun) {
        line += " " + result.stun->type;
        for (const Field& f : result.stun->fields) {
          line += " " + f.name + "=" + EscapeText(f.value);
        }
      }
      break;
    case DatagramClass::kEnet: {
      line += " ENet";
      const std::vector<EnetCommandView>& commands = result.enet->commands;
      for (size_t i = 0; i < commands.size(); ++i) {
        line += (i == 0 ? " " : " | ") + CommandSummary(commands[i]);
        for (const HailFrame& hail : result.hail) {
          if (hail.command_index == i) {
            line += " > " + HailSummary(hail, options);
          }
        }
      }
      break;
    }
    case DatagramClass::kTcp:
      line += TcpSummary(result, options);
      break;
    case DatagramClass::kOther:
      line += result.source.empty()
                  ? " not UDP"
                  : " UDP " + std::to_string(result.length) + " bytes";
      break;
  }
  if (!result.problems.empty()) {
    line += " [!";
    for (size_t i = 0; i < result.problems.size(); ++i) {
      line += (i == 0 ? " " : "; ") + EscapeText(result.problems[i].text);
    }
    line += "]";
  }
  return line + "\n";
}

std::string FormatTree(const DatagramResult& result,
                       const PrintOptions& options) {
  std::string out = "Frame " + std::to_string(result.frame) + ": " +
                    FormatTime(result.seconds, result.microseconds);
  if (!result.source.empty()) {
    out += ", " + result.source + " -> " + result.destination + ", " +
           std::to_string(result.length) +
           (result.tcp ? " bytes of TCP data" : " bytes of UDP payload");
  }
  out += "\n";
  out += "  Class: " + std::string(DatagramClassName(result.datagram_class));
  if (result.datagram_class != DatagramClass::kOther) {
    if (result.direct_link) {
      out += result.to_server ? " (direct link, connector to listener)"
                              : " (direct link, listener to connector)";
    } else {
      out += result.to_server ? " (client to server)" : " (server to client)";
    }
  }
  out += "\n";
  if (result.presession) {
    out += "  Hail pre-session datagram: " + result.presession->type + "\n";
    for (const Field& f : result.presession->fields) {
      out += "    " + f.name + ": " + EscapeText(f.value) + "\n";
    }
  }
  if (result.stun) {
    out += "  STUN: " + result.stun->type + "\n";
    for (const Field& f : result.stun->fields) {
      out += "    " + f.name + ": " + EscapeText(f.value) + "\n";
    }
  }
  if (result.enet) {
    const enet_wire::Header& h = result.enet->header;
    out += "  ENet header\n";
    out += "    peer_id: " + std::to_string(h.peer_id) +
           (h.peer_id == enet_wire::kNoPeerId ? " (no peer yet)" : "") + "\n";
    out += "    session_id: " + std::to_string(h.session_id) + "\n";
    out +=
        std::string("    compressed: ") + (h.compressed ? "yes" : "no") + "\n";
    out += "    sent_time: " +
           (h.sent_time_present ? std::to_string(h.sent_time)
                                : std::string("absent")) +
           "\n";
    out += "    checksum: " + Hex(h.checksum, 8) + "\n";
    size_t index = 0;
    for (const EnetCommandView& view : result.enet->commands) {
      const enet_wire::Command& c = view.command;
      out += "  ENet command " + std::to_string(++index) + ": " +
             std::string(enet_wire::CommandName(c.type)) + "\n";
      out += std::string("    flags:") + (c.acknowledge ? " ACKNOWLEDGE" : "") +
             (c.unsequenced ? " UNSEQUENCED" : "") +
             (!c.acknowledge && !c.unsequenced ? " none" : "") + "\n";
      out += "    channel: " + std::to_string(c.channel_id) + "\n";
      out += "    reliable_seq: " + std::to_string(c.reliable_sequence_number) +
             "\n";
      for (const Field& f : CommandFields(c)) {
        out += "    " + f.name + ": " + EscapeText(f.value) + "\n";
      }
      if (view.retransmission) out += "    retransmission: yes\n";
      if (!view.note.empty()) out += "    note: " + view.note + "\n";
      for (const HailFrame& hail : result.hail) {
        if (hail.command_index + 1 != index) continue;
        out += HailTree(hail, options, 4);
      }
    }
  }
  if (result.tcp) {
    const TcpView& tcp = *result.tcp;
    out += "  TCP segment\n";
    out += "    flags: " + tcp.flags + "\n";
    out += "    seq: " + std::to_string(tcp.sequence) + "\n";
    if (tcp.acknowledgment) {
      out += "    ack: " + std::to_string(*tcp.acknowledgment) + "\n";
    }
    for (const std::string& note : tcp.notes) out += "    note: " + note + "\n";
    for (size_t i = 0; i < tcp.records.size(); ++i) {
      const TcpRecordView& record = tcp.records[i];
      out += "  Hail record " + std::to_string(i + 1) + ": ";
      if (!record.close_reason.empty()) {
        out += "CLOSE, error " + record.close_reason + "\n";
        continue;
      }
      out += "channel " + std::to_string(record.channel) + ", " +
             std::to_string(record.length) + " bytes\n";
      for (const HailFrame& hail : result.hail) {
        if (hail.command_index == i) out += HailTree(hail, options, 4);
      }
    }
  }
  if (!result.problems.empty()) {
    out += "  Problems\n";
    for (const Problem& p : result.problems) {
      out += "    " + EscapeText(p.text) + "\n";
    }
  }
  return out + "\n";
}

std::string FormatJson(const DatagramResult& result,
                       const PrintOptions& options) {
  std::string out = "{\"frame\":" + std::to_string(result.frame) +
                    ",\"time\":\"" +
                    FormatTime(result.seconds, result.microseconds) + "\"";
  out += ",\"src\":\"" + JsonString(result.source) + "\"";
  out += ",\"dst\":\"" + JsonString(result.destination) + "\"";
  out += ",\"class\":\"" +
         std::string(DatagramClassName(result.datagram_class)) + "\"";
  if (result.presession) {
    out += ",\"presession\":{\"type\":\"" + result.presession->type + "\"";
    for (const Field& f : result.presession->fields) {
      out += ",\"" + JsonString(f.name) + "\":";
      AppendJsonFieldValue(&out, f);
    }
    out += "}";
  }
  if (result.stun) {
    out += ",\"stun\":{\"type\":\"" + JsonString(result.stun->type) + "\"";
    for (const Field& f : result.stun->fields) {
      out += ",\"" + JsonString(f.name) + "\":";
      AppendJsonFieldValue(&out, f);
    }
    out += "}";
  }
  if (result.enet) {
    const enet_wire::Header& h = result.enet->header;
    out += ",\"enet\":{\"peer_id\":" + std::to_string(h.peer_id) +
           ",\"sent_time\":" +
           (h.sent_time_present ? std::to_string(h.sent_time)
                                : std::string("null")) +
           ",\"commands\":[";
    bool first = true;
    for (const EnetCommandView& view : result.enet->commands) {
      const enet_wire::Command& c = view.command;
      out += first ? "" : ",";
      first = false;
      out += "{\"command\":\"" + std::string(enet_wire::CommandName(c.type)) +
             "\",\"channel\":" + std::to_string(c.channel_id) +
             ",\"reliable_seq\":" + std::to_string(c.reliable_sequence_number) +
             ",\"acknowledge\":" + (c.acknowledge ? "true" : "false") +
             ",\"unsequenced\":" + (c.unsequenced ? "true" : "false") +
             ",\"retransmission\":" + (view.retransmission ? "true" : "false");
      for (const Field& f : CommandFields(c)) {
        out += ",\"" + f.name + "\":";
        AppendJsonFieldValue(&out, f);
      }
      out += "}";
    }
    out += "]}";
  }
  if (result.tcp) {
    const TcpView& tcp = *result.tcp;
    out += ",\"tcp\":{\"flags\":\"" + tcp.flags +
           "\",\"seq\":" + std::to_string(tcp.sequence) + ",\"ack\":" +
           (tcp.acknowledgment ? std::to_string(*tcp.acknowledgment)
                               : std::string("null")) +
           ",\"length\":" + std::to_string(result.length) + ",\"notes\":[";
    for (size_t i = 0; i < tcp.notes.size(); ++i) {
      out += (i == 0 ? "\"" : ",\"") + JsonString(tcp.notes[i]) + "\"";
    }
    out += "],\"records\":[";
    for (size_t i = 0; i < tcp.records.size(); ++i) {
      const TcpRecordView& record = tcp.records[i];
      out += (i == 0 ? "{" : ",{");
      out += "\"channel\":" + std::to_string(record.channel);
      if (record.close_reason.empty()) {
        out += ",\"length\":" + std::to_string(record.length);
      } else {
        out += ",\"close\":\"" + JsonString(record.close_reason) + "\"";
      }
      out += "}";
    }
    out += "]}";
  }
  out += ",\"hail\":[";
  for (size_t i = 0; i < result.hail.size(); ++i) {
    const HailFrame& hail = result.hail[i];
    out += i == 0 ? "{" : ",{";
    out += "\"channel\":" + std::to_string(hail.channel);
    out +=
        ",\"frame\":\"" + std::string(hail.sealed ? "SEALED" : "PLAIN") + "\"";
    out += ",\"kind\":" + (hail.kind.empty()
                               ? std::string("null")
                               : "\"" + JsonString(hail.kind) + "\"");
    out += ",\"kind_id\":" +
           (hail.kind_id ? std::to_string(*hail.kind_id) : std::string("null"));
    out += ",\"counter\":" +
           (hail.counter ? std::to_string(*hail.counter) : std::string("null"));
    out += std::string(",\"decrypted\":") + (hail.decrypted ? "true" : "false");
    if (hail.has_fields) {
      out += ",\"fields\":{";
      for (size_t k = 0; k < hail.fields.size(); ++k) {
        const protocol::PrintedField& field = hail.fields[k];
        out += (k == 0 ? "\"" : ",\"") + JsonString(field.name) + "\":\"" +
               JsonString(FieldValue(field, options)) + "\"";
      }
      out += "}";
    }
    out += "}";
  }
  out += "],\"errors\":[";
  for (size_t i = 0; i < result.problems.size(); ++i) {
    out += (i == 0 ? "\"" : ",\"") + JsonString(result.problems[i].text) + "\"";
  }
  return out + "]}\n";
}

bool HasKind(const DatagramResult& result, std::string_view kind) {
  for (const HailFrame& hail : result.hail) {
    if (hail.kind == kind) return true;
  }
  return false;
}

bool MentionsUser(const DatagramResult& result, std::string_view user) {
  for (const HailFrame& hail : result.hail) {
    for (const protocol::PrintedField& field : hail.fields) {
      if ((field.name == "username" || field.name == "sender" ||
           field.name == "recipient" || field.name == "from_username") &&
          field.value == user) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace hail::dissect
