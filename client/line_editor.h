// The input line of `hail chat`: libedit's readline-compatible callback
// interface, so that one loop can wait on stdin and the network together
// (poll() on fd(), then OnReadable). Lines printed with PrintAbove appear
// above the line being typed, which stays intact: what was typed, the
// cursor position and the prompt are redrawn below the printed text.
//
// libedit's readline emulation is process-wide state, so at most one
// LineEditor may exist at a time (asserted). Not thread-safe: construct,
// use and destroy it on one thread. It owns the terminal mode while alive
// and restores it on destruction.
#ifndef HAIL_CLIENT_LINE_EDITOR_H_
#define HAIL_CLIENT_LINE_EDITOR_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace hail::client {

class LineEditor {
 public:
  // Called with each line the user enters (without its newline), or with
  // nullopt when the user ends the input (Ctrl-D on an empty line). Returns
  // whether to show the prompt again and read another line.
  using LineHandler = std::function<bool(std::optional<std::string> line)>;

  // Shows `prompt` and starts reading from stdin.
  LineEditor(std::string prompt, LineHandler handler);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // The descriptor to poll() for input.
  int fd() const;
  // Reads and handles the input that is ready; call when fd() is readable.
  // May call the LineHandler. Does nothing once it asked for no more lines.
  void OnReadable();
  // Prints `text` (one or more lines; a final newline is added when
  // missing) above the input line and redraws the prompt and the line.
  void PrintAbove(std::string_view text);
  // Tells libedit the terminal size changed (after SIGWINCH).
  void OnResize();

 private:
  static void OnLine(char* line);

  LineHandler handler_;
  std::string prompt_;
  // True while the LineHandler runs: libedit has already moved to a new
  // line then, and the prompt is not shown.
  bool in_handler_ = false;
  // False once the LineHandler asked for no more lines.
  bool reading_ = true;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_LINE_EDITOR_H_
