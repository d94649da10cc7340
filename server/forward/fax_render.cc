#include "server/forward/fax_render.h"

#include <stdio.h>
#include <time.h>

#include <cassert>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "server/forward/subprocess.h"
#include "server/forward/tiff_pages.h"
#include "server/forward/work_dir.h"

namespace hail::server::forward {
namespace {

// The length of the UTF-8 sequence at text[at], or 0 if it is invalid
// (overlong, surrogate, beyond U+10FFFF, truncated).
size_t SequenceLength(std::string_view text, size_t at) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(text[at + i]); };
  uint8_t lead = byte(0);
  size_t length;
  uint32_t code;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() - at < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3F);
  }
  if ((length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) ||
      (length == 4 && (code < 0x10000 || code > 0x10FFFF))) {
    return 0;
  }
  // C1 controls (U+0080..U+009F) are not printable either.
  if (length == 2 && code < 0xA0) return 0;
  return length;
}

int CountPostScriptPages(std::string_view postscript) {
  int pages = 0;
  size_t at = 0;
  while ((at = postscript.find("%%Page: ", at)) != std::string_view::npos) {
    if (at == 0 || postscript[at - 1] == '\n') ++pages;
    at += 8;
  }
  return pages;
}

RenderedFax Failure(RenderedFax::Status status, std::string error) {
  RenderedFax result;
  result.status = status;
  result.error = std::move(error);
  return result;
}

}  // namespace

FaxRenderer::FaxRenderer(FaxRenderOptions options)
    : options_(std::move(options)) {
  assert(options_.max_pages >= 1);
}

std::string FaxRenderer::Printable(std::string_view text) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string result;
  result.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    char c = text[at];
    if (c == '\r') {
      result += '\n';
      at += (at + 1 < text.size() && text[at + 1] == '\n') ? 2 : 1;
      continue;
    }
    if (c == '\n' || c == '\t') {
      result += c;
      ++at;
      continue;
    }
    if (static_cast<uint8_t>(c) < 0x20 || c == 0x7F) {
      result += ' ';
      ++at;
      continue;
    }
    size_t length = SequenceLength(text, at);
    if (length == 0) {
      bool c1_control = static_cast<uint8_t>(c) == 0xC2 &&
                        at + 1 < text.size() &&
                        static_cast<uint8_t>(text[at + 1]) < 0xA0 &&
                        (static_cast<uint8_t>(text[at + 1]) & 0xC0) == 0x80;
      result += c1_control ? std::string_view(" ") : kReplacement;
      at += c1_control ? 2 : 1;
      continue;
    }
    result.append(text.substr(at, length));
    at += length;
  }
  return result;
}

std::string FaxRenderer::PageText(const ForwardJob& job,
                                  std::string_view body) {
  time_t seconds = static_cast<time_t>(job.sent_unix);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char date[64];
  strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &utc);
  return "From: " + Printable(job.sender) +
         " via Hail\nTo: " + Printable(job.recipient) + "\nDate: " + date +
         "\n\n" + std::string(body);
}

std::string FaxRenderer::CutNote(int max_pages) {
  return "\n\n[Cut by Hail: a fax carries at most " +
         std::to_string(max_pages) +
         " pages. The whole message is waiting in the Hail app.]\n";
}

RenderedFax FaxRenderer::Render(const ForwardJob& job) const {
  WorkDir work(options_.temp_dir, "hail-fax");
  if (!work.ok()) {
    return Failure(
        RenderedFax::Status::kFailed,
        "cannot make a working directory in " + options_.temp_dir.string());
  }
  // Lays out `text`; the PostScript, or the failed result.
  std::optional<RenderedFax> failure;
  auto layout = [&](const std::string& text) -> std::optional<std::string> {
    ProgramRun run;
    run.argv = {options_.paps_program, "--font=" + options_.font, "--paper=a4"};
    run.stdin_bytes = text;
    run.timeout = options_.timeout;
    ProgramResult paps = RunProgram(run);
    if (paps.outcome == ProgramResult::Outcome::kTimedOut) {
      failure = Failure(RenderedFax::Status::kTimedOut, "paps timed out");
      return std::nullopt;
    }
    if (!paps.Succeeded() || CountPostScriptPages(paps.out) == 0) {
      failure = Failure(RenderedFax::Status::kFailed,
                        "paps failed: " + paps.Describe());
      return std::nullopt;
    }
    return std::move(paps.out);
  };

  const std::string body = Printable(job.text);
  RenderedFax result;
  result.page_text = PageText(job, body);
  std::optional<std::string> postscript = layout(result.page_text);
  if (!postscript) return *failure;
  if (CountPostScriptPages(*postscript) > options_.max_pages) {
    // The longest prefix of the body (at a character boundary) that fits
    // with the note: binary search over the boundaries, prefix 0 first.
    std::vector<size_t> boundaries;
    for (size_t at = 0; at < body.size(); ++at) {
      if ((static_cast<uint8_t>(body[at]) & 0xC0) != 0x80) {
        boundaries.push_back(at);
      }
    }
    if (boundaries.empty()) boundaries.push_back(0);
    const std::string note = CutNote(options_.max_pages);
    auto cut_text = [&](size_t index) {
      return PageText(job, body.substr(0, boundaries[index]) + note);
    };
    std::optional<std::string> best = layout(cut_text(0));
    if (!best) return *failure;
    if (CountPostScriptPages(*best) > options_.max_pages) {
      return Failure(RenderedFax::Status::kFailed,
                     "the header alone is longer than the page limit");
    }
    size_t fits = 0, too_long = boundaries.size();
    while (too_long - fits > 1) {
      size_t middle = fits + (too_long - fits) / 2;
      std::optional<std::string> attempt = layout(cut_text(middle));
      if (!attempt) return *failure;
      if (CountPostScriptPages(*attempt) <= options_.max_pages) {
        fits = middle;
        best = std::move(attempt);
      } else {
        too_long = middle;
      }
    }
    postscript = std::move(best);
    result.page_text = cut_text(fits);
    result.cut = true;
  }

  const std::filesystem::path tiff_path = work.path() / "fax.tif";
  ProgramRun gs;
  gs.argv = {options_.ghostscript_program,
             "-q",
             "-dNOPAUSE",
             "-dBATCH",
             "-dSAFER",
             "-sDEVICE=tiffg3",
             "-r204x196",
             "-sPAPERSIZE=a4",
             "-dFIXEDMEDIA",
             "-sOutputFile=" + tiff_path.string(),
             "-"};
  gs.stdin_bytes = std::move(*postscript);
  gs.timeout = options_.timeout;
  ProgramResult ghostscript = RunProgram(gs);
  if (ghostscript.outcome == ProgramResult::Outcome::kTimedOut) {
    return Failure(RenderedFax::Status::kTimedOut, "gs timed out");
  }
  if (!ghostscript.Succeeded()) {
    return Failure(RenderedFax::Status::kFailed,
                   "gs failed: " + ghostscript.Describe());
  }
  std::error_code error;
  auto size = std::filesystem::file_size(tiff_path, error);
  if (error) {
    return Failure(RenderedFax::Status::kFailed, "gs wrote no TIFF");
  }
  result.tiff.resize(size);
  FILE* file = fopen(tiff_path.c_str(), "rb");
  bool read_all =
      file != nullptr && fread(result.tiff.data(), 1, size, file) == size;
  if (file != nullptr) fclose(file);
  auto pages = read_all ? ReadTiffPages(result.tiff) : std::nullopt;
  if (!pages || !IsFaxG3(*pages)) {
    return Failure(RenderedFax::Status::kFailed,
                   "gs wrote no TIFF G3 fax document");
  }
  result.pages = static_cast<int>(pages->size());
  result.status = RenderedFax::Status::kOk;
  return result;
}

}  // namespace hail::server::forward
