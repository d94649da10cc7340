// Renders a forwarded message into a fax document (SPEC.md section 17):
// a header block (From: <sender> via Hail, To:, Date:) and the text, laid
// out by paps (pango and fontconfig, so any UTF-8 including CJK keeps its
// glyphs) into PostScript, then rasterised by Ghostscript into a TIFF G3
// file, A4 at 204x196 dpi (fax "fine"), 1728 pixels wide.
//
// HylaFAX's own textfmt garbles UTF-8 and sendfax refuses non-ASCII text,
// so the fax gateway only ever hands HylaFAX this finished TIFF.
//
// Thread-safe (no shared state); blocking: gateway worker threads only.
#ifndef HAIL_SERVER_FORWARD_FAX_RENDER_H_
#define HAIL_SERVER_FORWARD_FAX_RENDER_H_

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "server/forward/gateway.h"

namespace hail::server::forward {

struct FaxRenderOptions {
  // Where the renderer makes its private working directory (removed again
  // before Render returns).
  std::filesystem::path temp_dir = std::filesystem::temp_directory_path();
  // A pango font description; fontconfig falls back per glyph (e.g. to
  // WenQuanYi Micro Hei for CJK) when this font lacks one.
  std::string font = "Monospace 11";
  // The cut rule: a fax carries at most this many pages. Longer text is cut
  // (at a character boundary, as late as still fits) and ends with the note
  // of CutNote(). REQUIRES: >= 1.
  int max_pages = 5;
  // Per program run (paps, gs).
  std::chrono::milliseconds timeout{30000};
  std::string paps_program = "paps";
  std::string ghostscript_program = "gs";
};

struct RenderedFax {
  enum class Status {
    kOk,
    kFailed,    // a renderer refused or failed; `error` says why
    kTimedOut,  // a renderer ran past the timeout (temporary)
  };
  Status status = Status::kFailed;
  std::string error;
  std::string tiff;       // kOk: the TIFF G3 document
  int pages = 0;          // kOk: its page count, 1..max_pages
  bool cut = false;       // the text was cut to max_pages
  std::string page_text;  // the text laid out: header, body, note if cut
};

class FaxRenderer {
 public:
  explicit FaxRenderer(FaxRenderOptions options);

  FaxRenderer(const FaxRenderer&) = delete;
  FaxRenderer& operator=(const FaxRenderer&) = delete;

  RenderedFax Render(const ForwardJob& job) const;

  const FaxRenderOptions& options() const { return options_; }

  // The header block and body as laid out, text already made printable.
  static std::string PageText(const ForwardJob& job, std::string_view body);
  // The note that ends a cut text.
  static std::string CutNote(int max_pages);
  // `text` as valid, printable UTF-8: an invalid byte becomes U+FFFD, CR
  // and CRLF become LF, other control characters (also form feed) a space.
  static std::string Printable(std::string_view text);

 private:
  FaxRenderOptions options_;
};

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_FAX_RENDER_H_
