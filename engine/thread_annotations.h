// Clang thread-safety annotations (-Wthread-safety). They compile to nothing under g++.
// Use them with the annotated types of engine/mutex.h (libstdc++'s std::mutex is not annotated).
#pragma once

#if defined(__clang__)
#define WALKV_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define WALKV_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) WALKV_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY WALKV_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) WALKV_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) WALKV_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRE(...) WALKV_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) WALKV_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) WALKV_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) WALKV_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define REQUIRES(...) WALKV_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) WALKV_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define EXCLUDES(...) WALKV_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) WALKV_THREAD_ANNOTATION(assert_capability(x))
#define NO_THREAD_SAFETY_ANALYSIS WALKV_THREAD_ANNOTATION(no_thread_safety_analysis)
