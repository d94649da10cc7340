// Clang thread-safety annotations (checked by -Wthread-safety; no-ops for
// other compilers). Every lock that remains in the server is annotated with
// these, so that the compiler checks which data it guards.
#ifndef HAIL_SERVER_BASE_THREAD_ANNOTATIONS_H_
#define HAIL_SERVER_BASE_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define HAIL_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define HAIL_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) HAIL_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY HAIL_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) HAIL_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) HAIL_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) HAIL_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) HAIL_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) HAIL_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) HAIL_THREAD_ANNOTATION(release_capability(__VA_ARGS__))

#endif  // HAIL_SERVER_BASE_THREAD_ANNOTATIONS_H_
