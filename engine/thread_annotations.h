// Clang thread-safety annotations (-Wthread-safety). They compile to nothing under g++.
#pragma once

#if defined(__clang__)
#define WALKV_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define WALKV_THREAD_ANNOTATION(x)
#endif

#define GUARDED_BY(x) WALKV_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) WALKV_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) WALKV_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) WALKV_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define EXCLUDES(...) WALKV_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
