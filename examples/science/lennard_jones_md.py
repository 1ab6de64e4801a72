"""Molecular dynamics of a Lennard-Jones fluid with forces from chainrule.

64 particles in a periodic cubic box (minimum-image convention), reduced units
(sigma = epsilon = mass = 1), density 0.5. The pair potential is
V(r) = 4 (r^-12 - r^-6), cut off at r_c = 2.5 and shifted in r^2:
V_sf = V(r) - V(r_c) - (r^2 - r_c^2) dV/d(r^2)(r_c), so both the energy and the
force go to zero continuously at the cutoff (a plain truncation makes the force
jump, and energy conservation would then measure the jumps, not the integrator).

The total energy is written once, vectorised over the 2,016 pairs (pair index
arrays from np.triu_indices). Forces are -cr.grad(energy), checked on a disordered
configuration against central finite differences of the energy (relative 1e-6)
and against the textbook pair force 24 (2 r^-14 - r^-8) r_ij, less its value at
the cutoff, summed over pairs (1e-12 of the largest force). A velocity-Verlet run
of 1,000 steps (dt = 0.003) from a simple-cubic lattice at temperature 1.0 then
has to conserve the total energy: max |E(t) - E(0)| / |E(0)| < 1e-3, while the
kinetic energy alone swings by over 40 % of |E(0)| as the lattice melts. Velocity
Verlet is symplectic, so its energy error stays bounded and scales as dt^2
instead of drifting; the script checks that too: halving dt over the first 200
steps must shrink the largest energy error by a factor between 3 and 5 (ideally
4). Wrong forces would break both the bound and the scaling.

Exits with status 1 if any check fails.
Run: python examples/science/lennard_jones_md.py [--plot-dir DIR]
(with --plot-dir, saves the energies against time as a PNG there; needs matplotlib).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from example_tools import check, finish, plot_dir_argument, pyplot_for, save_figure

import chainrule as cr

CELLS_PER_SIDE = 4  # 4^3 = 64 particles on a simple-cubic lattice
DENSITY, TEMPERATURE, CUTOFF = 0.5, 1.0, 2.5
PARTICLES = CELLS_PER_SIDE**3
BOX = (PARTICLES / DENSITY) ** (1 / 3)
FIRST, SECOND = np.triu_indices(PARTICLES, k=1)  # every pair once
STEPS, DT, SCALING_STEPS = 1000, 0.003, 200
ENERGY_TOLERANCE, SCALING_RANGE = 1e-3, (3.0, 5.0)
FD_TOLERANCE, FD_STEP, ANALYTIC_TOLERANCE = 1e-6, 1e-5, 1e-12
SEED = 0


def lj(r2):
    inverse_r6 = 1.0 / r2**3
    return 4.0 * (inverse_r6**2 - inverse_r6)


def lj_derivative_in_r2(r2):
    return 4.0 * (-6.0 / r2**7 + 3.0 / r2**4)


def pair_separations(positions):
    separations = positions[FIRST] - positions[SECOND]
    # Minimum image: the shift by whole boxes is piecewise constant, so no gradient
    # flows through it.
    return separations - BOX * np.round(cr.stop_gradient(separations) / BOX)


def potential_energy(positions):
    r2 = np.sum(pair_separations(positions) ** 2, axis=1)
    cutoff2 = CUTOFF**2
    shifted = lj(r2) - lj(cutoff2) - (r2 - cutoff2) * lj_derivative_in_r2(cutoff2)
    return np.sum(np.where(r2 < cutoff2, shifted, 0.0))


energy_and_gradient = cr.value_and_grad(potential_energy)


def forces_by_chainrule(positions: np.ndarray) -> tuple[float, np.ndarray]:
    energy, gradient = energy_and_gradient(positions)
    return float(energy), -gradient


def analytic_forces(positions: np.ndarray) -> np.ndarray:
    """The textbook LJ pair force, minus the constant the r^2 shift adds, summed with NumPy."""
    separations = pair_separations(positions)
    r2 = np.sum(separations**2, axis=1)
    magnitude_over_r = 24.0 * (2.0 / r2**7 - 1.0 / r2**4)
    at_cutoff = 24.0 * (2.0 / CUTOFF**14 - 1.0 / CUTOFF**8)
    pair_forces = np.where(r2 < CUTOFF**2, magnitude_over_r - at_cutoff, 0.0)[:, None] * separations
    forces = np.zeros_like(positions)
    np.add.at(forces, FIRST, pair_forces)
    np.add.at(forces, SECOND, -pair_forces)
    return forces


def finite_difference_force(positions: np.ndarray, particle: int, axis: int) -> float:
    shifted = positions.copy()
    shifted[particle, axis] += FD_STEP
    above = potential_energy(shifted)
    shifted[particle, axis] -= 2 * FD_STEP
    below = potential_energy(shifted)
    return -(above - below) / (2 * FD_STEP)


def lattice() -> np.ndarray:
    spacing = BOX / CELLS_PER_SIDE
    cells = np.arange(CELLS_PER_SIDE) * spacing
    return np.stack(np.meshgrid(cells, cells, cells, indexing="ij"), axis=-1).reshape(-1, 3)


def kinetic_energy(velocities: np.ndarray) -> float:
    return 0.5 * float(np.sum(velocities**2))


def initial_velocities(rng: np.random.Generator) -> np.ndarray:
    velocities = rng.standard_normal((PARTICLES, 3))
    velocities -= velocities.mean(axis=0)  # no drift of the whole system
    degrees_of_freedom = 3 * PARTICLES - 3
    target = 0.5 * degrees_of_freedom * TEMPERATURE
    return velocities * np.sqrt(target / kinetic_energy(velocities))


def velocity_verlet(positions, velocities, dt, steps) -> dict[str, np.ndarray]:
    """Integrate; return the kinetic and potential energy after every step (and at t=0)."""
    positions, velocities = positions.copy(), velocities.copy()
    potential, forces = forces_by_chainrule(positions)
    kinetic_energies, potential_energies = [kinetic_energy(velocities)], [potential]
    for _ in range(steps):
        velocities += 0.5 * dt * forces
        positions += dt * velocities
        potential, forces = forces_by_chainrule(positions)
        velocities += 0.5 * dt * forces
        kinetic_energies.append(kinetic_energy(velocities))
        potential_energies.append(potential)
    kinetic, potential = np.array(kinetic_energies), np.array(potential_energies)
    return {"time": dt * np.arange(steps + 1), "kinetic": kinetic, "potential": potential,
            "total": kinetic + potential}


def largest_energy_error(run: dict[str, np.ndarray]) -> float:
    return float(np.max(np.abs(run["total"] - run["total"][0])))


def check_forces(rng: np.random.Generator) -> list[bool]:
    positions = lattice() + 0.1 * rng.standard_normal((PARTICLES, 3))  # off the lattice
    _, forces = forces_by_chainrule(positions)
    results = []
    for particle, axis in [(0, 0), (7, 1), (21, 2), (38, 0), (50, 1), (63, 2)]:
        reference = finite_difference_force(positions, particle, axis)
        value = forces[particle, axis]
        results.append(check(f"force[{particle}, {'xyz'[axis]}] vs finite differences",
                             value, reference, abs(value - reference) / abs(reference),
                             FD_TOLERANCE))
    expected = analytic_forces(positions)
    worst = np.unravel_index(np.argmax(np.abs(forces - expected)), forces.shape)
    error = np.max(np.abs(forces - expected)) / np.max(np.abs(expected))
    results.append(check("all forces vs pair formula (worst)", forces[worst], expected[worst],
                         error, ANALYTIC_TOLERANCE))
    return results


def check_energy_conservation(rng: np.random.Generator) -> tuple[list[bool], dict, dict]:
    positions, velocities = lattice(), initial_velocities(rng)
    start = time.perf_counter()
    run = velocity_verlet(positions, velocities, DT, STEPS)
    seconds = time.perf_counter() - start
    total = run["total"]
    drift = largest_energy_error(run) / abs(total[0])
    final_temperature = 2 * run["kinetic"][-1] / (3 * PARTICLES - 3)
    print(f"velocity Verlet: {STEPS} steps of dt = {DT} in {seconds:.2f} s "
          f"({1e3 * seconds / STEPS:.2f} ms per step); E(0) = {total[0]:.6f}, "
          f"temperature {TEMPERATURE} -> {final_temperature:.3f}")
    kinetic_swing = np.ptp(run["kinetic"]) / abs(total[0])
    print(f"kinetic energy swings by {kinetic_swing:.1%} of |E(0)|; the total energy must not")
    results = [check("max |E(t) - E(0)| / |E(0)|", total[-1], total[0], drift, ENERGY_TOLERANCE)]

    half_step = velocity_verlet(positions, velocities, DT / 2, 2 * SCALING_STEPS)
    first_steps = {key: values[: SCALING_STEPS + 1] for key, values in run.items()}
    ratio = largest_energy_error(first_steps) / largest_energy_error(half_step)
    low, high = SCALING_RANGE
    passed = low <= ratio <= high
    print(f"energy error over t <= {SCALING_STEPS * DT:g}: dt {DT} gives "
          f"{largest_energy_error(first_steps):.2e}, dt {DT / 2} gives "
          f"{largest_energy_error(half_step):.2e}; ratio {ratio:.2f} (expected 4, "
          f"accepted {low:g} to {high:g})  {'ok' if passed else 'FAILED'}")
    return results + [passed], run, half_step


def plot_energies(plt, run: dict, half_step: dict, plot_dir: Path) -> None:
    figure, (energy_axes, error_axes) = plt.subplots(1, 2, figsize=(11, 4))
    for key in ("kinetic", "potential", "total"):
        energy_axes.plot(run["time"], run[key] / PARTICLES, label=key)
    energy_axes.set(xlabel="time (reduced units)", ylabel="energy per particle",
                    title=f"energies, dt = {DT}")
    energy_axes.legend(loc="center right")
    for dt, data in ((DT, run), (DT / 2, half_step)):
        window = data["time"] <= half_step["time"][-1] + 0.5 * dt
        error_axes.plot(data["time"][window], (data["total"] - data["total"][0])[window],
                        label=f"dt = {dt:g}")
    error_axes.set(xlabel="time (reduced units)", ylabel="E(t) - E(0)",
                   title="total-energy error (shrinks as dt^2)")
    error_axes.legend()
    for axes in (energy_axes, error_axes):
        axes.grid(alpha=0.3)
    figure.suptitle(f"Lennard-Jones fluid, {PARTICLES} particles, density {DENSITY}, "
                    f"forces by chainrule")
    figure.tight_layout()
    path = plot_dir / "lennard_jones_energy.png"
    save_figure(plt, figure, path)


def save_plots(plot_dir: Path | None, run: dict, half_step: dict) -> None:
    plt = pyplot_for(plot_dir)
    if plt is not None:
        plot_energies(plt, run, half_step, plot_dir)


def main() -> None:
    plot_dir = plot_dir_argument(__doc__)
    rng = np.random.default_rng(SEED)
    print(f"{PARTICLES} particles, box side {BOX:.4f}, cutoff {CUTOFF}, "
          f"{len(FIRST)} pairs")
    results = check_forces(rng)
    conservation, run, half_step = check_energy_conservation(rng)
    results += conservation
    save_plots(plot_dir, run, half_step)
    finish(results)


if __name__ == "__main__":
    main()
