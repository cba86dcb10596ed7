"""`python -m services.billing api|worker|relay|migrate|rebuild|lag`."""

from services.billing.bootstrap import DEFINITION
from shared.runtime import run_module

run_module(DEFINITION)
