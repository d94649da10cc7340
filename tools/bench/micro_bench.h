// `hail-bench micro`: the in-process micro benchmarks of Hail's hot paths
// (codec, AEAD, Argon2id). Prints to stdout; main thread only.
#ifndef HAIL_TOOLS_BENCH_MICRO_BENCH_H_
#define HAIL_TOOLS_BENCH_MICRO_BENCH_H_

namespace hail::bench {

void RunMicroBenchmarks(int iterations, int hashes);

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_MICRO_BENCH_H_
