/* The ABI between the runtime and compiled graphs (the JIT tier). Dependency-free C; generated code repeats
 * these declarations (it is compiled without any header). Any change bumps SOFIE_COMPILED_ABI_VERSION, which
 * is part of the JIT cache key.
 *
 * A compiled graph replaces a plan's step loop. It is called as
 *     int sofie_graph(void* const* values, const int64_t* dims, sofie_host* host, sofie_run_step_fn run_step)
 *   values    one data pointer per graph value (ValueId order): inputs, constants (weights by pointer, never
 *             copied into the code), and arena buffers of the session's current plan; NULL where unused.
 *   dims      the concrete dims of every value of the current plan, flattened in ValueId order (value v's
 *             dims start at the sum of the ranks of values 0..v-1). Static dims are compile-time constants in
 *             the generated code; symbolic ones (batch, nodes, edges) are read from here, so one compiled
 *             artifact serves every value of them.
 *   run_step  runs plan step `step` through the interpreter's kernel, for operators without an emitter;
 *             returns 0 on success.
 * Returns 0 on success, else the status of the failing step is kept by the host.
 */
#ifndef SOFIE_RUNTIME_COMPILED_ABI_H_
#define SOFIE_RUNTIME_COMPILED_ABI_H_

#define SOFIE_COMPILED_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sofie_host sofie_host;
typedef int (*sofie_run_step_fn)(sofie_host* host, int step);
typedef int (*sofie_graph_fn)(void* const* values, const long long* dims, sofie_host* host, sofie_run_step_fn run_step);

#ifdef __cplusplus
}
#endif

#endif /* SOFIE_RUNTIME_COMPILED_ABI_H_ */
