// haild's whole life: command line, signals, serving until SIGINT/SIGTERM.
// server/main.cc calls it with no fault plan; tests/conform/faulty_haild.cc
// with one that breaks a chosen rule.
#ifndef HAIL_SERVER_HAILD_MAIN_H_
#define HAIL_SERVER_HAILD_MAIN_H_

#include "server/fault_plan.h"

namespace hail::server {

// The exit code: 0 after a clean stop, 1 when it cannot start, 2 on usage
// errors.
int RunHaild(int argc, char** argv, const FaultPlan* faults);

}  // namespace hail::server

#endif  // HAIL_SERVER_HAILD_MAIN_H_
