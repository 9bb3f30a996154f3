"""Synthetic SSI datasets with planted, known effects (``ssi-kit simulate``).

>>> from ssi_kit.simulate import SimulationConfig, simulate_dataset
>>> sim = simulate_dataset(SimulationConfig(members=60, seed=1))  # doctest: +SKIP
>>> sorted(sim.tables)  # doctest: +SKIP
['activity', 'connections', 'events', 'members', 'outcomes', 'profiles', 'ssi']

See ``docs/simulator.md`` for the generative model and its calibration.
"""
from ssi_kit.simulate.config import DEFAULT_EFFECTS, SimulationConfig
from ssi_kit.simulate.model import Simulation, simulate_dataset

__all__ = ["SimulationConfig", "Simulation", "simulate_dataset", "DEFAULT_EFFECTS"]
