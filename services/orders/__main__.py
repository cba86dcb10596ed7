"""`python -m services.orders api|worker|relay|migrate|rebuild|lag`."""

from services.orders.bootstrap import DEFINITION
from shared.runtime import run_module

run_module(DEFINITION)
