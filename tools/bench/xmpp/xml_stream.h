// Incremental parser for one direction of an XMPP stream, built on expat.
//
// Why expat rather than string scanning: an XMPP stream is one long XML
// document delivered in arbitrary TCP chunks; stanzas split across reads,
// entities (&amp; &apos;), namespace prefixes chosen by the server
// (ejabberd and Prosody differ) and CDATA all have to be handled the same way
// a real client would. expat is a push parser, so each connection feeds its
// bytes as they arrive and gets whole stanzas back.
#ifndef HAIL_TOOLS_BENCH_XMPP_XML_STREAM_H_
#define HAIL_TOOLS_BENCH_XMPP_XML_STREAM_H_

#include <expat.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hail::tools::xmpp {

// Namespaces the load generator looks at. Element names are reported as
// "<namespace-uri> <local-name>" (expat's namespace mode, separator ' ').
inline constexpr std::string_view kNsStream =
    "http://etherx.jabber.org/streams";
inline constexpr std::string_view kNsSasl = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view kNsBind = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view kNsClient = "jabber:client";

// A parsed stanza (a direct child of <stream:stream>) as a small tree.
struct Element {
  std::string name;  // "namespace local", or just "local" without namespace.
  std::vector<std::pair<std::string, std::string>> attrs;
  std::vector<Element> children;
  std::string text;  // Character data directly inside this element.

  // True if name is exactly "ns local".
  bool Is(std::string_view ns, std::string_view local) const;
  // The attribute's value, or "" when absent.
  std::string_view Attr(std::string_view attr_name) const;
  // First child with the given namespace and local name, or nullptr.
  const Element* Child(std::string_view ns, std::string_view local) const;
};

// Parses the server->client stream. Contract: Feed() bytes in arrival order;
// on_stanza is called once per complete top-level stanza, on_stream_end when
// </stream:stream> arrives. After the server signals a stream restart (SASL
// success), call Reset() before feeding bytes of the new stream.
class XmlStream {
 public:
  XmlStream();
  ~XmlStream();
  XmlStream(const XmlStream&) = delete;
  XmlStream& operator=(const XmlStream&) = delete;

  std::function<void(Element&&)> on_stanza;
  std::function<void()> on_stream_end;

  // Returns false (and sets error()) on malformed XML; the stream is then
  // unusable.
  bool Feed(const char* data, size_t size);
  // Starts a fresh document (new <stream:stream> expected).
  void Reset();
  const std::string& error() const { return error_; }

 private:
  static void OnStart(void* self, const XML_Char* name, const XML_Char** atts);
  static void OnEnd(void* self, const XML_Char* name);
  static void OnText(void* self, const XML_Char* text, int len);
  void Create();

  XML_Parser parser_ = nullptr;
  int depth_ = 0;                // 0 outside the stream root, 1 inside it.
  Element stanza_;               // The stanza being built (depth >= 2).
  std::vector<Element*> stack_;  // Open elements of stanza_, root first.
  std::string error_;
};

}  // namespace hail::tools::xmpp

#endif  // HAIL_TOOLS_BENCH_XMPP_XML_STREAM_H_
