// haild: the Hail server. See README.md for operation and SPEC.md for the
// protocol it serves.
#include "server/haild_main.h"

int main(int argc, char** argv) {
  return hail::server::RunHaild(argc, argv, nullptr);
}
