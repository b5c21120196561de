/* The ABI between the runtime and compiled graphs (the JIT tier). Dependency-free C; generated code repeats
 * these declarations (it is compiled without any header). Any change bumps SOFIE_COMPILED_ABI_VERSION, which
 * is part of the JIT cache key.
 *
 * A compiled graph replaces a plan's step loop. It is called as
 *     int sofie_graph(char* arena, void* const* values, const long long* dims, sofie_host* host,
 *                     sofie_run_step_fn run_step)
 *   arena     the session's arena for the current plan (64-byte aligned): the memory plan's one buffer.
 *   values    one data pointer per graph value (ValueId order): inputs, constants (weights by pointer, never
 *             copied into the code), and arena buffers of the session's current plan (arena + offset, or the
 *             buffer a view shares); NULL where unused.
 *   dims      the concrete dims of every value of the current plan, flattened in ValueId order (value v's
 *             dims start at the sum of the ranks of values 0..v-1). Static dims are compile-time constants in
 *             the generated code; symbolic ones (batch, nodes, edges) are read from here, so one compiled
 *             artifact serves every value of them.
 *   run_step  runs plan step `step` through the interpreter's kernel, for operators without an emitter, on
 *             the same arena; returns 0 on success.
 * What is constant in the code: when every value of the plan has a static shape in the graph
 * (Plan::fixed_layout), arena buffers are addressed as `arena + offset` with the memory plan's offsets as
 * literals (Plan::steps_hash covers them, so the code only serves plans with those offsets). Otherwise the
 * offsets depend on symbolic dims: the plan computes them once per shape signature and the code reads the
 * buffers from `values`. Inputs and constants always come from `values`. The code never allocates.
 * Returns 0 on success, else the status of the failing step is kept by the host.
 */
#ifndef SOFIE_RUNTIME_COMPILED_ABI_H_
#define SOFIE_RUNTIME_COMPILED_ABI_H_

#define SOFIE_COMPILED_ABI_VERSION 2

/* The parameter list of the entry point, as generated code and tools spell it. */
#define SOFIE_GRAPH_PARAMS \
  "(char* arena, void* const* values, const long long* dims, sofie_host* host, sofie_run_step_fn run_step)"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sofie_host sofie_host;
typedef int (*sofie_run_step_fn)(sofie_host* host, int step);
typedef int (*sofie_graph_fn)(char* arena, void* const* values, const long long* dims, sofie_host* host,
                              sofie_run_step_fn run_step);

#ifdef __cplusplus
}
#endif

#endif /* SOFIE_RUNTIME_COMPILED_ABI_H_ */
