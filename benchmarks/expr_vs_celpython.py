"""Benchmark: our compiled CEL-subset closures vs cel-python on the same expressions and data.

Run:  .venv/bin/pip install cel-python && .venv/bin/python benchmarks/expr_vs_celpython.py
(cel-python is not a dependency of Tianping; it is installed only to measure the comparison.)
"""

from __future__ import annotations

import time

EXPRS = [
    "'creditworthiness' in system.use_cases && !(system.narrow_procedural_task && !system.profiling)",
    "system.training_compute_flops > 1e25 || system.gpai_designated_systemic",
    "'provider' in roles && 'high_risk' in tiers",
]
ENV = {
    "system": {"use_cases": ["creditworthiness", "fraud_detection"], "narrow_procedural_task": False, "profiling": True,
               "training_compute_flops": 3e25, "gpai_designated_systemic": False},
    "roles": ["provider"], "tiers": ["high_risk"],
}


def bench(fn, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    from tianping.rules.expr import compile_expr

    import celpy

    env_cel = celpy.json_to_cel(ENV)
    cel_env = celpy.Environment()
    print(f"{'expression':<60}{'ours µs':>10}{'cel-python µs':>15}{'ratio':>8}")
    for src in EXPRS:
        ours = compile_expr(src)
        prog = cel_env.program(cel_env.compile(src))
        a = ours.evaluate(ENV)[0]
        b = prog.evaluate(env_cel)
        assert bool(a) == bool(b), (src, a, b)
        t_ours = bench(lambda: ours.evaluate(ENV), 200_000)
        t_cel = bench(lambda: prog.evaluate(env_cel), 2_000)
        print(f"{src[:58]:<60}{t_ours:>10.2f}{t_cel:>15.1f}{t_cel / t_ours:>8.0f}x")


if __name__ == "__main__":
    main()
