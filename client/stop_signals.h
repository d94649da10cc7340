// While a StopSignals lives, SIGINT, SIGTERM and SIGHUP set a flag instead
// of ending the process, so that `hail listen` and `hail chat` can log out
// and restore the terminal first; SIGWINCH is noted for the line editor.
// The handlers are installed without SA_RESTART: a blocking poll() returns
// early with EINTR. At most one StopSignals at a time (asserted); the
// previous handlers come back on destruction.
#ifndef HAIL_CLIENT_STOP_SIGNALS_H_
#define HAIL_CLIENT_STOP_SIGNALS_H_

#include <signal.h>

#include <array>

namespace hail::client {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // True once SIGINT, SIGTERM or SIGHUP arrived.
  bool stop_requested() const;
  // True (once) when SIGWINCH arrived since the last call.
  bool TakeResize();

 private:
  static constexpr std::array<int, 4> kSignals = {SIGINT, SIGTERM, SIGHUP,
                                                  SIGWINCH};
  std::array<struct sigaction, kSignals.size()> previous_{};
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_STOP_SIGNALS_H_
