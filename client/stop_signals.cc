#include "client/stop_signals.h"

#include <cassert>

namespace hail::client {
namespace {

volatile sig_atomic_t stop_flag = 0;
volatile sig_atomic_t resize_flag = 0;
bool installed = false;

void OnSignal(int signal_number) {
  if (signal_number == SIGWINCH) {
    resize_flag = 1;
  } else {
    stop_flag = 1;
  }
}

}  // namespace

StopSignals::StopSignals() {
  assert(!installed);
  installed = true;
  stop_flag = 0;
  resize_flag = 0;
  struct sigaction action {};
  action.sa_handler = &OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: poll() returns with EINTR
  for (size_t i = 0; i < kSignals.size(); ++i) {
    sigaction(kSignals[i], &action, &previous_[i]);
  }
}

StopSignals::~StopSignals() {
  for (size_t i = 0; i < kSignals.size(); ++i) {
    sigaction(kSignals[i], &previous_[i], nullptr);
  }
  installed = false;
}

bool StopSignals::stop_requested() const { return stop_flag != 0; }

bool StopSignals::TakeResize() {
  if (resize_flag == 0) return false;
  resize_flag = 0;
  return true;
}

}  // namespace hail::client
