#include "tools/bench/xmpp/xml_stream.h"

#include <cstring>

namespace hail::tools::xmpp {

namespace {

bool NameIs(std::string_view name, std::string_view ns,
            std::string_view local) {
  return name.size() == ns.size() + 1 + local.size() &&
         name.substr(0, ns.size()) == ns && name[ns.size()] == ' ' &&
         name.substr(ns.size() + 1) == local;
}

}  // namespace

bool Element::Is(std::string_view ns, std::string_view local) const {
  return NameIs(name, ns, local);
}

std::string_view Element::Attr(std::string_view attr_name) const {
  for (const auto& [key, value] : attrs) {
    if (key == attr_name) return value;
  }
  return {};
}

const Element* Element::Child(std::string_view ns,
                              std::string_view local) const {
  for (const Element& child : children) {
    if (child.Is(ns, local)) return &child;
  }
  return nullptr;
}

XmlStream::XmlStream() { Create(); }

XmlStream::~XmlStream() {
  if (parser_ != nullptr) XML_ParserFree(parser_);
}

void XmlStream::Create() {
  if (parser_ != nullptr) XML_ParserFree(parser_);
  parser_ = XML_ParserCreateNS("UTF-8", ' ');
  XML_SetUserData(parser_, this);
  XML_SetElementHandler(parser_, &XmlStream::OnStart, &XmlStream::OnEnd);
  XML_SetCharacterDataHandler(parser_, &XmlStream::OnText);
  depth_ = 0;
  stack_.clear();
  stanza_ = Element{};
}

void XmlStream::Reset() { Create(); }

bool XmlStream::Feed(const char* data, size_t size) {
  if (!error_.empty()) return false;
  if (XML_Parse(parser_, data, static_cast<int>(size), XML_FALSE) ==
      XML_STATUS_ERROR) {
    error_ = XML_ErrorString(XML_GetErrorCode(parser_));
    return false;
  }
  return true;
}

void XmlStream::OnStart(void* self_ptr, const XML_Char* name,
                        const XML_Char** atts) {
  auto* self = static_cast<XmlStream*>(self_ptr);
  ++self->depth_;
  if (self->depth_ == 1) return;  // <stream:stream ...>: nothing to keep.
  Element* element;
  if (self->depth_ == 2) {
    self->stanza_ = Element{};
    element = &self->stanza_;
  } else {
    Element* parent = self->stack_.back();
    parent->children.emplace_back();
    element = &parent->children.back();
  }
  element->name = name;
  for (int i = 0; atts[i] != nullptr; i += 2) {
    element->attrs.emplace_back(atts[i], atts[i + 1]);
  }
  self->stack_.push_back(element);
}

void XmlStream::OnEnd(void* self_ptr, const XML_Char* /*name*/) {
  auto* self = static_cast<XmlStream*>(self_ptr);
  --self->depth_;
  if (self->depth_ == 0) {
    if (self->on_stream_end) self->on_stream_end();
    return;
  }
  self->stack_.pop_back();
  if (self->depth_ == 1 && self->on_stanza) {
    self->on_stanza(std::move(self->stanza_));
  }
}

void XmlStream::OnText(void* self_ptr, const XML_Char* text, int len) {
  auto* self = static_cast<XmlStream*>(self_ptr);
  if (self->stack_.empty()) return;  // Whitespace between stanzas.
  self->stack_.back()->text.append(text, static_cast<size_t>(len));
}

}  // namespace hail::tools::xmpp
