#include "client/line_editor.h"

// libedit's readline emulation (Debian: libedit-dev).
#include <editline/readline.h>
#include <unistd.h>

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace hail::client {
namespace {

LineEditor* active_editor = nullptr;  // the one LineEditor alive, if any

}  // namespace

LineEditor::LineEditor(std::string prompt, LineHandler handler)
    : handler_(std::move(handler)), prompt_(std::move(prompt)) {
  assert(active_editor == nullptr);
  active_editor = this;
  rl_instream = stdin;
  rl_outstream = stdout;
  rl_callback_handler_install(prompt_.c_str(), &LineEditor::OnLine);
}

LineEditor::~LineEditor() {
  rl_callback_handler_remove();
  if (reading_) std::fputs("\n", stdout);  // leave the prompt's line
  std::fflush(stdout);
  active_editor = nullptr;
}

int LineEditor::fd() const { return fileno(stdin); }

void LineEditor::OnReadable() {
  if (reading_) rl_callback_read_char();
}

void LineEditor::OnLine(char* line) {
  LineEditor* editor = active_editor;
  assert(editor != nullptr);
  std::optional<std::string> text;
  if (line != nullptr) {
    text = line;
    if (!text->empty()) add_history(line);
    std::free(line);
  }
  editor->in_handler_ = true;
  bool more = editor->handler_(std::move(text));
  editor->in_handler_ = false;
  // libedit leaves the finished line in its buffer (GNU readline starts a
  // new one): installing the handler again empties it and shows the prompt.
  if (more) {
    rl_callback_handler_install(editor->prompt_.c_str(), &LineEditor::OnLine);
  } else {
    editor->reading_ = false;
  }
}

void LineEditor::PrintAbove(std::string_view text) {
  if (in_handler_) {
    // libedit is between lines: nothing to protect.
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (text.empty() || text.back() != '\n') std::fputc('\n', stdout);
    std::fflush(stdout);
    return;
  }
  // GNU readline would save the line, empty it with rl_replace_line("")
  // and redisplay; libedit ignores rl_replace_line with an empty string.
  // Instead: go to the start of the terminal line and clear it, print, and
  // have libedit redraw the prompt and the whole buffer from there (its
  // forced update forgets what it believed was on the screen).
  std::fputs("\r\033[K", stdout);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (text.empty() || text.back() != '\n') std::fputc('\n', stdout);
  std::fflush(stdout);
  rl_forced_update_display();
  std::fflush(stdout);
}

void LineEditor::OnResize() { rl_resize_terminal(); }

}  // namespace hail::client
